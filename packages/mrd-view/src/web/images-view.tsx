/// <reference lib="dom" />
/**
 * Images: one frame of a series on a canvas of the image's own size (so its pixels are the
 * frame's pixels), shown zoomed and panned by CSS; window/level by mouse drag and by mrd2gif's
 * presets; navigation by image and by slice/contrast/phase/repetition/set, channel and slice
 * of 3-D images; cine at a chosen frame rate; complex images as magnitude, phase, real or
 * imaginary; RGB images as they are; ROIs from the meta attributes; the image header and meta
 * attributes beside. Compare: two series (of two groups or files) side by side with mrd2gif's
 * difference image.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { flagNames } from './acquisitions-view.js';
import { getBinary, getJson } from './api.js';
import { colourise, dragWindow, frameValues, frameWindow, putFrame, renderDifference, renderGrey, type ComplexMode, type ImageMeta, type LoadedImage, type WindowRange } from './render.js';
import { num, type ViewState } from './state.js';
import { Zoomable } from './windowed-image.js';

interface SeriesInfo { count: number; columns: Record<string, number[]> }
const DIMS = ['slice', 'contrast', 'phase', 'repetition', 'set', 'average'] as const;
type Preset = 'series' | 'frame' | 'minmax' | 'meta' | 'custom';

/** The counters of every image of a series (for the sliders); asked for once `ready` (the first image drawn). */
function useSeries(f: string, g: string, s: string, ready = true): SeriesInfo | null {
  const [info, setInfo] = useState<{ key: string; info: SeriesInfo } | null>(null);
  const key = `${f}\n${g}\n${s}`;
  useEffect(() => {
    if (s && ready && info?.key !== key) void getJson<SeriesInfo>('/api/series', { f, g, s }).then((x) => setInfo({ key, info: x }));
  }, [key, ready]);
  return info?.key === key ? info.info : null;
}

function useImage(f: string, g: string, s: string, i: number): LoadedImage | null {
  const key = `${f}\n${g}\n${s}\n${i}`;
  const [img, setImg] = useState<{ key: string; img: LoadedImage } | null>(null);
  useEffect(() => {
    let live = true;
    if (s) void getBinary<ImageMeta>('/api/image', { f, g, s, i }).then((x) => live && setImg({ key, img: x }));
    return () => { live = false; };
  }, [key]);
  // While the next image of the same series loads, the previous one stays (no flicker in cine
  // or while dragging a slider); an image of another file or series is never shown.
  return img && img.key.slice(0, img.key.lastIndexOf('\n')) === key.slice(0, key.lastIndexOf('\n')) ? img.img : null;
}

/** mrd2gif's windows of every frame of a series, fetched once per series (the server streams the series for them). */
function useSeriesWindows(f: string, g: string, s: string, img: LoadedImage | null): (WindowRange | null)[] | null {
  const [w, setW] = useState<(WindowRange | null)[] | null>(null);
  // asked for once the first image is there: streaming a long series for its window must not
  // delay the first picture
  const started = img !== null;
  useEffect(() => {
    setW(null);
    if (s && started) void getJson<(WindowRange | null)[]>('/api/window', { f, g, s }).then(setW);
  }, [f, g, s, started]);
  if (w) return w;
  if (img?.json.seriesWindows) {
    const out: (WindowRange | null)[] = [];
    img.json.seriesWindows.forEach((x, k) => (out[img.json.firstFrame + k] = x));
    return out;
  }
  return null;
}

/** `4161 (FIRST_IN_SLICE ...)`: a flags value with the names of its bits. */
function flagText(flags: string, names: Record<string, string>): string {
  const set = flagNames(flags, names);
  return set ? `${flags} (${set})` : flags;
}

function parseWin(t: string | undefined): WindowRange | null {
  if (!t) return null;
  const [a, b] = t.split(',').map(Number);
  return Number.isFinite(a) && Number.isFinite(b) ? { min: a!, max: b! } : null;
}

/** Navigation: the image whose counters equal the current one's except `dim` = value. */
function jump(info: SeriesInfo, cur: number, dim: string, value: number): number {
  const c = info.columns;
  let best = -1;
  for (let k = 0; k < info.count; k++) {
    if (c[dim]![k] !== value) continue;
    if (DIMS.every((d) => d === dim || c[d]![k] === c[d]![cur])) return k;
    if (best < 0) best = k;
  }
  return best < 0 ? cur : best;
}

export function ImagesView(props: { state: ViewState; set: (c: ViewState, push?: boolean) => void; imageFlags: Record<string, string> }) {
  const st = props.state;
  const { f, g, s } = st;
  const i = num(st, 'i');
  const img = useImage(f!, g!, s!, i);
  const info = useSeries(f!, g!, s!, img !== null);
  const windows = useSeriesWindows(f!, g!, s!, img);
  const canvas = useRef<HTMLCanvasElement>(null);
  const mode = (st.mode ?? 'magnitude') as ComplexMode;
  const c = num(st, 'c');
  const z = num(st, 'z');
  const [dragWin, setDragWin] = useState<WindowRange | null>(null);
  const dragStart = useRef<WindowRange | null>(null);
  const [playing, setPlaying] = useState(false);
  const fps = num(st, 'fps', 10);

  const frame = img ? Math.min(img.json.frames - 1, img.json.rgb ? z : Math.min(c, img.json.channels - 1) * img.json.slices + Math.min(z, img.json.slices - 1)) : 0;
  const values = useMemo(() => (img && !img.json.rgb ? frameValues(img, frame, mode) : null), [img, frame, mode]);
  const seriesWin = windows && img && mode === 'magnitude' ? windows[img.json.firstFrame + frame] ?? null : null;
  const preset: Preset = (st.preset as Preset) ?? (st.win ? 'custom' : 'series');
  const win: WindowRange | null = useMemo(() => {
    if (!values || !img) return null;
    if (dragWin) return dragWin;
    if (preset === 'custom' && parseWin(st.win)) return parseWin(st.win);
    if (preset === 'meta' && img.json.metaWindow) return img.json.metaWindow;
    if (preset === 'minmax') return frameWindow(values, 'minmax');
    if (preset === 'series' && seriesWin) return seriesWin;
    return frameWindow(values, 'frame');
  }, [values, img, preset, st.win, seriesWin, dragWin]);
  const shownPreset = preset === 'series' && !seriesWin ? 'frame' : preset;

  useEffect(() => {
    if (!img || !canvas.current) return;
    const { width, height } = img.json;
    let rgb: Uint8Array;
    if (img.json.rgb) rgb = img.arrays.rgb!.subarray(3 * width * height * frame, 3 * width * height * (frame + 1)) as Uint8Array;
    else rgb = renderGrey(values!, width, height, win!, (img.arrays.palette as Uint8Array) ?? null, img.json.rois[frame] ?? []);
    putFrame(canvas.current, width, height, rgb);
    const el = canvas.current;
    el.dataset.window = win ? `${win.min},${win.max}` : '';
    el.dataset.preset = img.json.rgb ? 'rgb' : shownPreset;
    el.dataset.frame = `${img.json.index}:${frame}`;
    el.dataset.ready = '1';
  }, [img, values, win, frame]);

  useEffect(() => {
    if (!playing || !info) return;
    const t = setInterval(() => {
      const cur = num(props.state, 'i');
      props.set({ i: String((cur + 1) % info.count) });
    }, 1000 / Math.max(0.1, fps));
    return () => clearInterval(t);
  }, [playing, fps, info, props.state.i]);

  useEffect(() => {
    const key = (e: KeyboardEvent) => {
      if ((e.target as HTMLElement).tagName === 'INPUT' || !info) return;
      if (e.key === 'ArrowRight') props.set({ i: String(Math.min(info.count - 1, i + 1)) });
      if (e.key === 'ArrowLeft') props.set({ i: String(Math.max(0, i - 1)) });
    };
    window.addEventListener('keydown', key);
    return () => window.removeEventListener('keydown', key);
  }, [info, i]);

  if (!s) return <div class="empty">This group has no image series.</div>;
  if (!img) return <div class="loading">Loading {s} image {i}...</div>;
  const col = info?.columns ?? {};
  const dims = info ? DIMS.map((d) => ({ d, values: [...new Set(col[d])].sort((a, b) => a - b) })).filter((x) => x.values.length > 1) : [];
  const onDrag = (dx: number, dy: number, phase: 'start' | 'move' | 'end') => {
    if (!values || img.json.rgb) return;
    if (phase === 'start') {
      dragStart.current = win;
      return;
    }
    const st0 = dragStart.current!;
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < values.length; k++) {
      const v = values[k]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const w = dragWindow(st0, dx, dy, hi - lo);
    if (phase === 'move') setDragWin(w);
    else {
      setDragWin(null);
      props.set({ preset: 'custom', win: `${w.min},${w.max}` });
    }
  };
  const head = img.json.head;
  return (
    <div class="images-view">
      <div class="toolbar">
        {info ? <label>image <input id="image-index" type="range" min={0} max={info.count - 1} value={i} onInput={(e) => props.set({ i: (e.target as HTMLInputElement).value })} /> {i} / {info.count - 1}</label> : <span>image {i}</span>}
        {info && dims.map(({ d, values: vals }) => (
          <label>{d} <input type="range" min={0} max={vals.length - 1} value={Math.max(0, vals.indexOf(col[d]![i]!))} onInput={(e) => props.set({ i: String(jump(info, i, d, vals[+(e.target as HTMLInputElement).value]!)) })} /> {col[d]![i]}</label>
        ))}
        {!img.json.rgb && img.json.channels > 1 && <label>channel <input type="range" min={0} max={img.json.channels - 1} value={c} onInput={(e) => props.set({ c: (e.target as HTMLInputElement).value })} /> {c}</label>}
        {img.json.slices > 1 && <label>z <input type="range" min={0} max={img.json.slices - 1} value={z} onInput={(e) => props.set({ z: (e.target as HTMLInputElement).value })} /> {z}</label>}
        <button id="cine" onClick={() => setPlaying(!playing)}>{playing ? 'Stop' : 'Play'}</button>
        <label>fps <input type="number" min={0.5} max={60} step={0.5} value={fps} style={{ width: '4em' }} onChange={(e) => props.set({ fps: (e.target as HTMLInputElement).value })} /></label>
      </div>
      <div class="toolbar">
        {!img.json.rgb && (
          <>
            <label>window <select id="preset" value={shownPreset} onChange={(e) => props.set({ preset: (e.target as HTMLSelectElement).value, win: '' })}>
              <option value="series" disabled={mode !== 'magnitude'}>series 5-95% (mrd2gif)</option>
              <option value="frame">frame 5-95%</option>
              <option value="minmax">frame min/max</option>
              <option value="meta" disabled={!img.json.metaWindow}>meta WindowCenter/Width</option>
              <option value="custom" disabled>custom (drag)</option>
            </select></label>
            {preset === 'series' && !seriesWin && mode === 'magnitude' && <span class="hint">series window: reading the series...</span>}
            <span id="window-text">{win ? `C ${+((win.min + win.max) / 2).toPrecision(6)} W ${+(win.max - win.min).toPrecision(6)}` : ''}</span>
            {img.json.complex && <label>show <select id="complex-mode" value={mode} onChange={(e) => props.set({ mode: (e.target as HTMLSelectElement).value, preset: (e.target as HTMLSelectElement).value === 'magnitude' ? '' : 'frame', win: '' })}>
              {['magnitude', 'phase', 'real', 'imag'].map((m) => <option value={m}>{m}</option>)}
            </select></label>}
          </>
        )}
        <label>mouse <select value={st.tool ?? 'window'} onChange={(e) => props.set({ tool: (e.target as HTMLSelectElement).value })}>
          <option value="window">drag: window/level</option>
          <option value="pan">drag: pan</option>
        </select></label>
        <span class="hint">wheel: zoom; shift- or right-drag: pan; arrows: image</span>
      </div>
      <div class="image-main">
        <Zoomable width={img.json.width} height={img.json.height} onDrag={onDrag} tool={st.tool ?? 'window'}>
          <canvas id="image-canvas" class="export-target" ref={canvas} />
        </Zoomable>
        <div class="side-panel">
          <h4>Meta attributes</h4>
          <table class="kv">{img.json.meta.map(([k, v]) => <tr><td>{k}</td><td title={v.join(', ')}>{v.length > 6 ? `${v.slice(0, 6).join(', ')}, ... (${v.length} values)` : v.join(', ')}</td></tr>)}</table>
          <h4>Image header</h4>
          <table class="kv">{Object.entries(head).map(([k, v]) => <tr><td>{k}</td><td>{Array.isArray(v) ? v.join(', ') : k === 'flags' ? flagText(String(v), props.imageFlags) : String(v)}</td></tr>)}</table>
        </div>
      </div>
    </div>
  );
}

/** Two series side by side with mrd2gif's [image | reference | difference], B shown with A's window. */
export function CompareView(props: { state: ViewState; set: (c: ViewState, push?: boolean) => void; files: { id: number; name: string; groups: { name: string; series: { name: string; count: number }[] }[] }[] }) {
  const st = props.state;
  const { f, g, s } = st;
  const f2 = st.f2 ?? f!;
  const g2 = st.g2 ?? g!;
  const s2 = st.s2 ?? s!;
  const i = num(st, 'i');
  const scale = num(st, 'scale', 1);
  const a = useImage(f!, g!, s!, i);
  const b = useImage(f2, g2, s2, i);
  const info = useSeries(f!, g!, s!);
  const winsA = useSeriesWindows(f!, g!, s!, a);
  const ca = useRef<HTMLCanvasElement>(null);
  const cb = useRef<HTMLCanvasElement>(null);
  const cd = useRef<HTMLCanvasElement>(null);
  const [problem, setProblem] = useState('');
  useEffect(() => {
    if (!a || !b || !ca.current || !cb.current || !cd.current || a.json.index !== i || b.json.index !== i) return;
    const { width, height } = a.json;
    if (b.json.width !== width || b.json.height !== height) {
      setProblem(`the images differ in size: ${width}x${height} and ${b.json.width}x${b.json.height}`);
      return;
    }
    setProblem('');
    const frame = 0;
    let shownA: Uint8Array;
    let shownB: Uint8Array;
    let diff: Uint8Array;
    if (a.json.rgb || b.json.rgb) {
      const n = 3 * width * height;
      shownA = a.json.rgb ? (a.arrays.rgb!.subarray(0, n) as Uint8Array) : colourise(new Uint8Array(width * height), width, height, null, []);
      shownB = b.json.rgb ? (b.arrays.rgb!.subarray(0, n) as Uint8Array) : colourise(new Uint8Array(width * height), width, height, null, []);
      diff = renderDifference(null, null, null, scale, shownA, shownB, width, height, null, true);
    } else {
      const va = frameValues(a, frame, 'magnitude');
      const vb = frameValues(b, frame, 'magnitude');
      const win = winsA?.[a.json.firstFrame + frame] ?? frameWindow(va, 'frame');
      const palA = (a.arrays.palette as Uint8Array) ?? null;
      shownA = renderGrey(va, width, height, win, palA, a.json.rois[frame] ?? []);
      shownB = renderGrey(vb, width, height, win, (b.arrays.palette as Uint8Array) ?? null, b.json.rois[frame] ?? []);
      const overlays = (a.json.rois[frame]?.length ?? 0) > 0 || (b.json.rois[frame]?.length ?? 0) > 0;
      diff = renderDifference(va, vb, win, scale, shownA, shownB, width, height, palA, overlays);
      cd.current.dataset.window = `${win.min},${win.max}`;
    }
    putFrame(ca.current, width, height, shownA);
    putFrame(cb.current, width, height, shownB);
    putFrame(cd.current, width, height, diff);
    let max = 0;
    for (const v of diff) if (v > max) max = v;
    cd.current.dataset.maxDifference = String(max);
    cd.current.dataset.ready = `${i}`;
  }, [a, b, winsA, scale]);
  const pick = (fk: string, gk: string, sk: string, fv: string, gv: string, sv: string) => (
    <span>
      <select onChange={(e) => {
        const [ff, gg, ss] = (e.target as HTMLSelectElement).value.split('\u0000');
        props.set({ [fk]: ff!, [gk]: gg!, [sk]: ss! });
      }} value={[fv, gv, sv].join('\u0000')}>
        {props.files.flatMap((file) => file.groups.flatMap((gr) => gr.series.map((se) => (
          <option value={[String(file.id), gr.name, se.name].join('\u0000')}>{`${file.name}: ${gr.name}/${se.name} (${se.count})`}</option>
        ))))}
      </select>
    </span>
  );
  return (
    <div class="compare-view">
      <div class="toolbar">
        A {pick('f', 'g', 's', f!, g!, s!)} B {pick('f2', 'g2', 's2', f2, g2, s2)}
        {info && <label>image <input type="range" min={0} max={info.count - 1} value={i} onInput={(e) => props.set({ i: (e.target as HTMLInputElement).value })} /> {i}</label>}
        <label>difference scale <input id="diff-scale" type="number" step="any" value={scale} style={{ width: '5em' }} onChange={(e) => props.set({ scale: (e.target as HTMLInputElement).value })} /></label>
      </div>
      {problem && <div class="error">{problem}</div>}
      <div class="compare-row">
        <figure><canvas id="compare-a" class="export-target pixelated" ref={ca} /><figcaption>A</figcaption></figure>
        <figure><canvas id="compare-b" class="pixelated" ref={cb} /><figcaption>B (A's window)</figcaption></figure>
        <figure><canvas id="compare-diff" class="pixelated" ref={cd} /><figcaption>|A - B| x {scale}</figcaption></figure>
      </div>
    </div>
  );
}
