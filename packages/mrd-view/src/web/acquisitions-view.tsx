/// <reference lib="dom" />
/**
 * The acquisitions: a virtualised table of every header field (only the visible rows exist in
 * the page; they are fetched from the server in pages of 100, so a million readouts scroll as
 * smoothly as a hundred), flags decoded by name, filters by flag and counter (evaluated by the
 * server on its column index), and the selected readout plotted as magnitude/phase or
 * real/imaginary, one channel or all, with its trajectory.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { getBinary, getJson } from './api.js';
import { lines, Plot } from './plot.js';
import { num, type ViewState } from './state.js';

type Head = Record<string, unknown> & { flags: string; idx: Record<string, unknown> };
interface Row { i: number; h: Head }
const ROW_H = 22;
const PAGE = 100;

export function flagNames(flags: string, names: Record<string, string>): string {
  const v = BigInt(flags);
  const out: string[] = [];
  for (let b = 1; b <= 64; b++) if ((v >> BigInt(b - 1)) & 1n) out.push(names[b] ?? `BIT_${b}`);
  return out.join(' ');
}

const fmt = (v: unknown): string => {
  if (Array.isArray(v)) return v.map(fmt).join(', ');
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(+v.toPrecision(6));
  return String(v);
};

/** The table's columns: every header field, flattened (idx counters one column each). */
const COLUMNS: [string, (h: Head, names: Record<string, string>) => string, number][] = [
  ['flags', (h, n) => flagNames(h.flags, n), 260],
  ['scan_counter', (h) => fmt(h.scan_counter), 90],
  ...(['kspace_encode_step_1', 'kspace_encode_step_2', 'average', 'slice', 'contrast', 'phase', 'repetition', 'set', 'segment', 'user'] as const).map(
    (k): [string, (h: Head) => string, number] => [k === 'kspace_encode_step_1' ? 'ky' : k === 'kspace_encode_step_2' ? 'kz' : k, (h) => fmt(h.idx[k]), k === 'user' ? 130 : 60]),
  ['samples', (h) => fmt(h.number_of_samples), 70],
  ['active_channels', (h) => fmt(h.active_channels), 70],
  ['available_channels', (h) => fmt(h.available_channels), 70],
  ['trajectory_dimensions', (h) => fmt(h.trajectory_dimensions), 60],
  ['sample_time_us', (h) => fmt(h.sample_time_us), 80],
  ['center_sample', (h) => fmt(h.center_sample), 70],
  ['discard_pre', (h) => fmt(h.discard_pre), 60],
  ['discard_post', (h) => fmt(h.discard_post), 60],
  ['encoding_space_ref', (h) => fmt(h.encoding_space_ref), 60],
  ['acquisition_time_stamp', (h) => fmt(h.acquisition_time_stamp), 100],
  ['physiology_time_stamp', (h) => fmt(h.physiology_time_stamp), 110],
  ['measurement_uid', (h) => fmt(h.measurement_uid), 90],
  ['version', (h) => fmt(h.version), 50],
  ['flags (hex)', (h) => '0x' + BigInt(h.flags).toString(16), 130],
  ['channel_mask', (h) => (h.channel_mask as string[]).map((m) => BigInt(m).toString(16)).join(' ').replace(/( 0)+$/, ''), 140],
  ['position', (h) => fmt(h.position), 150],
  ['read_dir', (h) => fmt(h.read_dir), 130],
  ['phase_dir', (h) => fmt(h.phase_dir), 130],
  ['slice_dir', (h) => fmt(h.slice_dir), 130],
  ['patient_table_position', (h) => fmt(h.patient_table_position), 150],
  ['user_int', (h) => fmt(h.user_int), 130],
  ['user_float', (h) => fmt(h.user_float), 150],
];

interface Summary { count: number; counters: Record<string, [number, number]>; flags: Record<string, number>; noise: number }

function Filters(props: { state: ViewState; set: (c: ViewState) => void; names: Record<string, string>; counters: string[] }) {
  const { f, g } = props.state;
  const [summary, setSummary] = useState<Summary | null>(null);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (open && !summary) void getJson<Summary>('/api/acquisitions/summary', { f, g }).then(setSummary);
  }, [open, f, g]);
  const filter = props.state.filter ? (JSON.parse(props.state.filter) as { require?: number[]; exclude?: number[]; counters?: Record<string, [number, number]> }) : {};
  const apply = (next: typeof filter) => {
    const empty = !next.require?.length && !next.exclude?.length && !Object.keys(next.counters ?? {}).length;
    props.set({ filter: empty ? '' : JSON.stringify(next), row: '' });
  };
  const toggle = (kind: 'require' | 'exclude', bit: number) => {
    const list = new Set(filter[kind] ?? []);
    if (list.has(bit)) list.delete(bit);
    else list.add(bit);
    apply({ ...filter, [kind]: [...list].sort((a, b) => a - b) });
  };
  const describe = [
    ...(filter.require ?? []).map((b) => `+${props.names[b] ?? b}`),
    ...(filter.exclude ?? []).map((b) => `-${props.names[b] ?? b}`),
    ...Object.entries(filter.counters ?? {}).map(([k, [a, b]]) => `${k} ${a}..${b}`),
  ].join(', ');
  return (
    <div class="filters">
      <button id="filter-toggle" onClick={() => setOpen(!open)}>Filters{describe ? `: ${describe}` : ''}</button>
      {describe && <button onClick={() => apply({})}>Clear</button>}
      {open && (
        <div class="filter-panel">
          {!summary ? <div class="loading">Indexing headers...</div> : (
            <>
              <table class="flag-filter">
                <thead><tr><th>flag</th><th>readouts</th><th>with</th><th>without</th></tr></thead>
                <tbody>
                  {Object.entries(summary.flags).map(([bit, n]) => (
                    <tr>
                      <td>{props.names[bit] ?? `BIT_${bit}`}</td><td>{n}</td>
                      <td><input type="checkbox" data-flag-require={bit} checked={(filter.require ?? []).includes(+bit)} onChange={() => toggle('require', +bit)} /></td>
                      <td><input type="checkbox" data-flag-exclude={bit} checked={(filter.exclude ?? []).includes(+bit)} onChange={() => toggle('exclude', +bit)} /></td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <div class="counter-filter">
                {Object.entries(summary.counters).filter(([, [a, b]]) => b > a).map(([k, [a, b]]) => {
                  const cur = filter.counters?.[k] ?? [a, b];
                  const setRange = (lo: number, hi: number) => {
                    const counters = { ...(filter.counters ?? {}) };
                    if (lo <= a && hi >= b) delete counters[k];
                    else counters[k] = [lo, hi];
                    apply({ ...filter, counters });
                  };
                  return (
                    <label>{k} <input type="number" min={a} max={b} value={cur[0]} onChange={(e) => setRange(+(e.target as HTMLInputElement).value, cur[1])} />
                      ..<input type="number" min={a} max={b} value={cur[1]} onChange={(e) => setRange(cur[0], +(e.target as HTMLInputElement).value)} /></label>
                  );
                })}
              </div>
            </>
          )}
        </div>
      )}
    </div>
  );
}

function Readout(props: { state: ViewState; set: (c: ViewState) => void; i: number }) {
  const { f, g } = props.state;
  const [r, setR] = useState<{ json: { head: Head }; arrays: Record<string, Float32Array> } | null>(null);
  useEffect(() => {
    void getBinary<{ head: Head }>('/api/readout', { f, g, i: props.i }).then((x) => setR(x as never));
  }, [f, g, props.i]);
  const mode = props.state.rmode === 'reim' ? 'reim' : 'magphase';
  const ch = props.state.ch ?? 'all';
  const plots = useMemo(() => {
    if (!r) return null;
    const h = r.json.head;
    const ns = h.number_of_samples as number;
    const nc = h.active_channels as number;
    const d = r.arrays.data!;
    const x = Float64Array.from({ length: ns }, (_, k) => k);
    const chans = ch === 'all' ? Array.from({ length: nc }, (_, k) => k) : [Math.min(nc - 1, +ch)];
    const a: Float32Array[] = [];
    const b: Float32Array[] = [];
    for (const c of chans) {
      const p = new Float32Array(ns);
      const q = new Float32Array(ns);
      for (let s = 0; s < ns; s++) {
        const re = d[2 * (c * ns + s)]!;
        const im = d[2 * (c * ns + s) + 1]!;
        p[s] = mode === 'reim' ? re : Math.hypot(re, im);
        q[s] = mode === 'reim' ? im : Math.atan2(im, re);
      }
      a.push(p);
      b.push(q);
    }
    const labels = chans.map((c) => `ch ${c}`);
    const dots = ns <= 32; // a few samples are drawn as points too
    const base = { scales: { x: { time: false } }, axes: [{ label: 'sample' }, {}] };
    const traj = r.arrays.traj!;
    const td = h.trajectory_dimensions as number;
    let trajPlot: { data: uPlot.AlignedData; opts: Omit<uPlot.Options, 'width' | 'height'> } | null = null;
    if (td > 0) {
      const dims = Array.from({ length: td }, (_, k) => Float32Array.from({ length: ns }, (_, s) => traj[s * td + k]!));
      trajPlot = { data: [x, ...dims], opts: { ...base, series: [{ label: 'sample' }, ...lines(['kx', 'ky', 'kz'].slice(0, td), 1, dots)] } };
    }
    return {
      a: { data: [x, ...a] as uPlot.AlignedData, opts: { ...base, series: [{ label: 'sample' }, ...lines(labels, 1, dots)] } },
      b: { data: [x, ...b] as uPlot.AlignedData, opts: { ...base, series: [{ label: 'sample' }, ...lines(labels, 1, dots)] } },
      traj: trajPlot,
      nc,
    };
  }, [r, mode, ch]);
  if (!r || !plots) return <div class="loading">Loading readout {props.i}...</div>;
  return (
    <div class="readout">
      <div class="toolbar">
        <b>Readout {props.i}</b>
        <select value={mode} onChange={(e) => props.set({ rmode: (e.target as HTMLSelectElement).value })}>
          <option value="magphase">magnitude / phase</option>
          <option value="reim">real / imaginary</option>
        </select>
        <select value={ch} onChange={(e) => props.set({ ch: (e.target as HTMLSelectElement).value })}>
          <option value="all">all channels</option>
          {Array.from({ length: plots.nc }, (_, k) => <option value={String(k)}>channel {k}</option>)}
        </select>
      </div>
      <Plot id="readout-a" title={mode === 'reim' ? 'real' : 'magnitude'} data={plots.a.data} opts={plots.a.opts} height={200} />
      <Plot id="readout-b" title={mode === 'reim' ? 'imaginary' : 'phase (rad)'} data={plots.b.data} opts={plots.b.opts} height={200} />
      {plots.traj ? <Plot id="readout-traj" title="trajectory" data={plots.traj.data} opts={plots.traj.opts} height={200} /> : <div class="empty">No trajectory stored with this readout.</div>}
    </div>
  );
}

export function AcquisitionsView(props: { state: ViewState; set: (c: ViewState, push?: boolean) => void; names: Record<string, string>; counters: string[] }) {
  const { f, g, filter } = props.state;
  const [total, setTotal] = useState<number | null>(null);
  const [pages, setPages] = useState<Map<number, Row[]>>(new Map());
  const [err, setErr] = useState('');
  const [range, setRange] = useState<[number, number]>([0, 40]);
  const scroller = useRef<HTMLDivElement>(null);
  const loading = useRef(new Set<number>());
  const pendingScroll = useRef<number | null>(null);
  const key = `${f}/${g}/${filter ?? ''}`;
  const current = useRef(key);
  current.current = key;
  useEffect(() => {
    setPages(new Map());
    setTotal(null);
    setErr('');
    loading.current = new Set();
    // a view opened on a selected readout (a shared link) starts scrolled to it, once the
    // table has its height (the first page tells the total)
    const row = props.state.row !== undefined && props.state.row !== '' && !filter ? Math.max(0, num(props.state, 'row') - 3) : 0;
    pendingScroll.current = row;
    if (scroller.current) scroller.current.scrollTop = 0;
    setRange([row, row + 40]);
  }, [key]);
  useEffect(() => {
    const el = scroller.current;
    if (total === null || !el || pendingScroll.current === null) return;
    el.scrollTop = pendingScroll.current * ROW_H;
    pendingScroll.current = null;
  }, [total]);
  useEffect(() => {
    const first = Math.floor(range[0] / PAGE);
    const last = Math.floor(Math.max(range[0], range[1] - 1) / PAGE);
    for (let p = first; p <= last; p++) {
      if (pages.has(p) || loading.current.has(p)) continue;
      if (total !== null && p * PAGE >= total && p > 0) continue;
      loading.current.add(p);
      const thisKey = key;
      getJson<{ total: number; rows: Row[] }>('/api/acquisitions', { f, g, start: p * PAGE, end: (p + 1) * PAGE, filter }).then((r) => {
        if (thisKey !== current.current) return;
        setTotal(r.total);
        setPages((m) => new Map(m).set(p, r.rows));
      }, (e: Error) => setErr(e.message));
    }
  }, [range, pages, key]);
  const onScroll = () => {
    const el = scroller.current!;
    const a = Math.floor(el.scrollTop / ROW_H);
    setRange([a, a + Math.ceil(el.clientHeight / ROW_H) + 1]);
  };
  const selected = props.state.row !== undefined && props.state.row !== '' ? num(props.state, 'row') : null;
  const rows: Row[] = [];
  for (let k = range[0]; k < range[1] && (total === null || k < total); k++) {
    const r = pages.get(Math.floor(k / PAGE))?.[k % PAGE];
    if (r) rows.push(r);
  }
  const width = 70 + COLUMNS.reduce((s, c) => s + c[2], 0);
  return (
    <div class="acquisitions-view">
      <div class="toolbar">
        <Filters state={props.state} set={props.set} names={props.names} counters={props.counters} />
        <span id="acq-total">{total === null ? 'loading...' : `${total} readouts${filter ? ' (filtered)' : ''}`}</span>
      </div>
      {err && <div class="error">{err}</div>}
      <div class="acq-table" ref={scroller} onScroll={onScroll} id="acq-scroller">
        <div class="acq-head" style={{ width: `${width}px` }}>
          <span style={{ width: '70px' }}>#</span>
          {COLUMNS.map(([n, , w]) => <span style={{ width: `${w}px` }} title={n}>{n}</span>)}
        </div>
        <div style={{ height: `${(total ?? 0) * ROW_H}px`, width: `${width}px`, position: 'relative' }}>
          {rows.map((r, k) => (
            <div class={`acq-row ${selected === r.i ? 'selected' : ''}`} data-index={r.i} style={{ top: `${(range[0] + k) * ROW_H}px`, width: `${width}px` }} onClick={() => props.set({ row: String(r.i) })}>
              <span style={{ width: '70px' }}>{r.i}</span>
              {COLUMNS.map(([n, get, w]) => <span style={{ width: `${w}px` }} data-col={n}>{get(r.h, props.names)}</span>)}
            </div>
          ))}
        </div>
      </div>
      {selected !== null ? <Readout state={props.state} set={props.set} i={selected} /> : <div class="empty">Click a readout to plot it.</div>}
    </div>
  );
}
