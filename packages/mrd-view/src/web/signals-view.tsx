/// <reference lib="dom" />
/** Waveforms (ECG, pulse, respiratory, others) against time by id, with triggers; k-space as a log-magnitude image per coil, or the trajectory of non-Cartesian data as a scatter. */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { getBinary, getJson } from './api.js';
import { lines, Plot } from './plot.js';
import { putFrame } from './render.js';
import { num, type ViewState } from './state.js';

interface WaveformId { id: number; name: string | null; count: number; channels: number; samples: number }

export function WaveformsView(props: { state: ViewState; set: (c: ViewState) => void }) {
  const { f, g } = props.state;
  const [ids, setIds] = useState<WaveformId[] | null>(null);
  const [wf, setWf] = useState<{ json: { id: number; channels: number; points: number; waveforms: number }; arrays: Record<string, Float64Array | Float32Array> } | null>(null);
  useEffect(() => {
    setIds(null);
    void getJson<WaveformId[]>('/api/waveforms', { f, g }).then(setIds);
  }, [f, g]);
  const id = props.state.id !== undefined ? num(props.state, 'id') : ids?.[0]?.id;
  useEffect(() => {
    setWf(null);
    if (id !== undefined) void getBinary<{ id: number; channels: number; points: number; waveforms: number }>('/api/waveform', { f, g, id }).then((x) => setWf(x as never));
  }, [f, g, id]);
  const plot = useMemo(() => {
    if (!wf) return null;
    const n = wf.json.channels;
    // a gap (null) wherever consecutive samples are further apart than 1.5 sampling intervals
    // (between waveforms), so lines do not join separate recordings
    const t = wf.arrays.time!;
    const dts: number[] = [];
    for (let k = 1; k < Math.min(t.length, 64); k++) dts.push(t[k]! - t[k - 1]!);
    const dt = dts.length ? dts.sort((a, b) => a - b)[dts.length >> 1]! : 0;
    const times: number[] = [];
    const chans: (number | null)[][] = Array.from({ length: n }, () => []);
    for (let k = 0; k < t.length; k++) {
      if (k > 0 && dt > 0 && t[k]! - t[k - 1]! > 1.5 * dt) {
        times.push((t[k]! + t[k - 1]!) / 2);
        for (const c of chans) c.push(null);
      }
      times.push(t[k]!);
      for (let c = 0; c < n; c++) {
        const v = wf.arrays[`ch${c}`]![k]!;
        chans[c]!.push(Number.isNaN(v) ? null : v);
      }
    }
    const data = [times, ...chans] as uPlot.AlignedData;
    const trig = wf.arrays.triggers!;
    const opts: Omit<uPlot.Options, 'width' | 'height'> = {
      scales: { x: { time: false } },
      axes: [{ label: 'time (ms)' }, {}],
      series: [{ label: 'ms' }, ...lines(Array.from({ length: n }, (_, k) => `channel ${k}`))],
      hooks: {
        draw: [(u: uPlot) => {
          const ctx = u.ctx;
          ctx.save();
          ctx.strokeStyle = '#d00';
          ctx.setLineDash([4, 3]);
          for (const t of trig) {
            const x = u.valToPos(t, 'x', true);
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
          }
          ctx.restore();
        }],
      },
    };
    return { data, opts, triggers: trig.length };
  }, [wf]);
  if (!ids) return <div class="loading">Loading waveforms...</div>;
  if (!ids.length) return <div class="empty">This group has no waveforms.</div>;
  return (
    <div class="waveforms-view">
      <div class="toolbar">
        <label>waveform id <select id="waveform-id" value={String(id)} onChange={(e) => props.set({ id: (e.target as HTMLSelectElement).value })}>
          {ids.map((w) => <option value={String(w.id)}>{w.id}{w.name ? ` (${w.name})` : ''}: {w.count} x {w.channels} ch</option>)}
        </select></label>
        {wf && <span id="waveform-info">{wf.json.waveforms} waveforms, {wf.json.points} samples per channel, {plot?.triggers ?? 0} triggers (from readouts' physiology time stamps, dashed)</span>}
      </div>
      {plot ? <Plot id="waveform-plot" title={`waveform id ${id}`} data={plot.data} opts={plot.opts} height={360} /> : <div class="loading">Loading...</div>}
    </div>
  );
}

interface Summary { count: number; counters: Record<string, [number, number]>; flags: Record<string, number>; noise: number }
const KSEL = ['kspace_encode_step_2', 'slice', 'contrast', 'phase', 'repetition', 'set', 'average', 'segment'];

export function KspaceView(props: { state: ViewState; set: (c: ViewState) => void }) {
  const { f, g } = props.state;
  const [summary, setSummary] = useState<Summary | null>(null);
  const [k, setK] = useState<{ json: { coils: number; ny: number; nx: number; readouts: number; lines: number }; arrays: { mag: Float32Array } } | null>(null);
  const [traj, setTraj] = useState<{ json: { readouts: number; shown: number }; arrays: { kx: Float32Array; ky: Float32Array } } | null>(null);
  const [err, setErr] = useState('');
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    setSummary(null);
    void getJson<Summary>('/api/acquisitions/summary', { f, g }).then(setSummary, (e: Error) => setErr(e.message));
  }, [f, g]);
  const sel: Record<string, number> = {};
  if (summary) for (const n of KSEL) if (summary.counters[n]) sel[n] = num(props.state, `k_${n}`, summary.counters[n]![0]);
  const selKey = JSON.stringify(sel);
  useEffect(() => {
    if (!summary) return;
    setK(null);
    void getBinary('/api/kspace', { f, g, ...sel }).then((x) => setK(x as never), (e: Error) => setErr(e.message));
    void getBinary('/api/trajectory', { f, g }).then((x) => setTraj(x as never), () => setTraj(null));
  }, [summary, selKey]);
  const coil = num(props.state, 'coil');
  useEffect(() => {
    if (!k || !canvas.current || !k.json.ny) return;
    const { ny, nx } = k.json;
    const c = Math.min(coil, k.json.coils - 1);
    const plane = k.arrays.mag.subarray(c * ny * nx, (c + 1) * ny * nx);
    let lo = Infinity;
    let hi = -Infinity;
    const logv = new Float32Array(plane.length);
    for (let p = 0; p < plane.length; p++) {
      const v = Math.log1p(plane[p]!);
      logv[p] = v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const rgb = new Uint8Array(3 * plane.length);
    const s = hi > lo ? 255 / (hi - lo) : 0;
    for (let p = 0; p < plane.length; p++) rgb[3 * p] = rgb[3 * p + 1] = rgb[3 * p + 2] = Math.round((logv[p]! - lo) * s);
    putFrame(canvas.current, nx, ny, rgb);
    canvas.current.dataset.ready = '1';
  }, [k, coil]);
  const scatter = useMemo(() => {
    if (!traj || !traj.arrays.kx.length) return null;
    // uPlot's scatter mode: each point drawn as a 2-pixel square by the series' paths builder
    const drawPoints = (u: uPlot, seriesIdx: number) => {
      const d = u.data[seriesIdx] as unknown as [ArrayLike<number>, ArrayLike<number>];
      const sx = u.scales.x!;
      const sy = u.scales.y!;
      const size = 2 * devicePixelRatio;
      const p = new Path2D();
      for (let k = 0; k < d[0].length; k++) {
        const x = d[0][k]!;
        const y = d[1][k]!;
        if (x < sx.min! || x > sx.max! || y < sy.min! || y > sy.max!) continue;
        p.rect(u.valToPos(x, 'x', true) - size / 2, u.valToPos(y, 'y', true) - size / 2, size, size);
      }
      u.ctx.fillStyle = '#1f77b4';
      u.ctx.fill(p);
      return null;
    };
    const opts = {
      mode: 2,
      scales: { x: { time: false } },
      axes: [{ label: 'kx' }, { label: 'ky' }],
      series: [{}, { label: 'k-space positions', stroke: '#1f77b4', fill: '#1f77b4', paths: drawPoints, points: { show: false } }],
    } as unknown as Omit<uPlot.Options, 'width' | 'height'>;
    return { opts, data: [null, [traj.arrays.kx, traj.arrays.ky]] as unknown as uPlot.AlignedData };
  }, [traj]);
  if (err) return <div class="error">{err}</div>;
  if (!summary) return <div class="loading">Indexing headers...</div>;
  return (
    <div class="kspace-view">
      <div class="toolbar">
        {Object.entries(sel).map(([n, v]) => {
          const [a, b] = summary.counters[n]!;
          return b > a ? <label>{n} <input type="number" min={a} max={b} value={v} style={{ width: '4em' }} onChange={(e) => props.set({ [`k_${n}`]: (e.target as HTMLInputElement).value })} /></label> : null;
        })}
        {k && <label>coil <input type="range" min={0} max={Math.max(0, k.json.coils - 1)} value={coil} onInput={(e) => props.set({ coil: (e.target as HTMLInputElement).value })} /> {coil}</label>}
        {k && <span>{k.json.lines} lines from {k.json.readouts} readouts, {k.json.nx} samples, log magnitude</span>}
      </div>
      <div class="kspace-main">
        {k ? (k.json.ny ? <canvas id="kspace-canvas" class="export-target pixelated kspace" ref={canvas} /> : <div class="empty">No Cartesian readouts for this selection.</div>) : <div class="loading">Reading k-space...</div>}
        {scatter && <div class="traj"><Plot id="trajectory-plot" title={`trajectory: ${traj!.json.shown} of ${traj!.json.readouts} readouts`} data={scatter.data} opts={scatter.opts} height={400} /></div>}
      </div>
    </div>
  );
}
