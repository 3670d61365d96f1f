/// <reference lib="dom" />
/**
 * An image on a canvas with window/level: `Zoomable` (wheel zoom, drag to pan or to window, the
 * canvas keeps the image's own pixel size) and `WindowedImage`, one frame of a loaded image
 * (binary envelope from the server) with mrd2gif's window presets and window/level by mouse
 * drag, holding its window itself. The images view builds on Zoomable; mrd-server's live view
 * uses WindowedImage through mrd-view's `./page` export.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { dragWindow, frameValues, frameWindow, putFrame, renderGrey, type LoadedImage, type WindowRange } from './render.js';

export function Zoomable(props: { width: number; height: number; children: preact.ComponentChildren; onDrag: (dx: number, dy: number, phase: 'start' | 'move' | 'end') => void; tool: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [view, setView] = useState<{ z: number; x: number; y: number } | null>(null);
  const drag = useRef<{ x: number; y: number; pan: boolean; vx: number; vy: number } | null>(null);
  useEffect(() => {
    const el = box.current!;
    const z = Math.max(1, Math.min((el.clientWidth - 8) / props.width, (el.clientHeight - 8) / props.height));
    setView({ z, x: (el.clientWidth - props.width * z) / 2, y: (el.clientHeight - props.height * z) / 2 });
  }, [props.width, props.height]);
  const v = view ?? { z: 1, x: 0, y: 0 };
  return (
    <div class="zoom-box" ref={box}
      onWheel={(e) => {
        e.preventDefault();
        const r = box.current!.getBoundingClientRect();
        const mx = e.clientX - r.left;
        const my = e.clientY - r.top;
        const k = Math.exp(-e.deltaY / 500);
        const z = Math.min(64, Math.max(0.1, v.z * k));
        setView({ z, x: mx - ((mx - v.x) * z) / v.z, y: my - ((my - v.y) * z) / v.z });
      }}
      onMouseDown={(e) => {
        e.preventDefault();
        const pan = props.tool === 'pan' || e.button !== 0 || e.shiftKey;
        drag.current = { x: e.clientX, y: e.clientY, pan, vx: v.x, vy: v.y };
        if (!pan) props.onDrag(0, 0, 'start');
        const move = (m: MouseEvent) => {
          const d = drag.current!;
          if (d.pan) setView({ z: v.z, x: d.vx + m.clientX - d.x, y: d.vy + m.clientY - d.y });
          else props.onDrag(m.clientX - d.x, m.clientY - d.y, 'move');
        };
        const up = (m: MouseEvent) => {
          window.removeEventListener('mousemove', move);
          window.removeEventListener('mouseup', up);
          const d = drag.current!;
          if (!d.pan) props.onDrag(m.clientX - d.x, m.clientY - d.y, 'end');
          drag.current = null;
        };
        window.addEventListener('mousemove', move);
        window.addEventListener('mouseup', up);
      }}
      onContextMenu={(e) => e.preventDefault()}>
      <div class="zoom-layer" style={{ transform: `translate(${v.x}px, ${v.y}px) scale(${v.z})` }}>{props.children}</div>
      <div class="zoom-info">{Math.round(v.z * 100)}%</div>
    </div>
  );
}

type Preset = 'frame' | 'minmax' | 'meta' | 'custom';

/** The value range of a frame (the drag step of a zero-width window). */
function valueRange(values: ArrayLike<number>): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return hi - lo;
}

/**
 * One frame of `img` (magnitude for complex images) with its own window: the frame's 5-95%
 * percentiles (mrd2gif --floating-window), its min/max, the meta WindowCenter/Width, or a window
 * dragged with the mouse (right: wider, down: higher centre). The window chosen stays when the
 * next image arrives (a live series keeps its window); "frame 5-95%" follows each image.
 */
export function WindowedImage(props: { img: LoadedImage; frame?: number; canvasId?: string }) {
  const { img } = props;
  const frame = Math.min(img.json.frames - 1, props.frame ?? 0);
  const [preset, setPreset] = useState<Preset>('frame');
  const [custom, setCustom] = useState<WindowRange | null>(null);
  const [dragWin, setDragWin] = useState<WindowRange | null>(null);
  const [tool, setTool] = useState('window');
  const dragStart = useRef<WindowRange | null>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const values = useMemo(() => (img.json.rgb ? null : frameValues(img, frame, 'magnitude')), [img, frame]);
  const win = useMemo(() => {
    if (!values) return null;
    if (dragWin) return dragWin;
    if (preset === 'custom' && custom) return custom;
    if (preset === 'meta' && img.json.metaWindow) return img.json.metaWindow;
    return frameWindow(values, preset === 'minmax' ? 'minmax' : 'frame');
  }, [values, img, preset, custom, dragWin]);
  useEffect(() => {
    if (!canvas.current) return;
    const { width, height } = img.json;
    const rgb = img.json.rgb
      ? (img.arrays.rgb!.subarray(3 * width * height * frame, 3 * width * height * (frame + 1)) as Uint8Array)
      : renderGrey(values!, width, height, win!, (img.arrays.palette as Uint8Array) ?? null, img.json.rois[frame] ?? []);
    putFrame(canvas.current, width, height, rgb);
    const el = canvas.current;
    el.dataset.window = win ? `${win.min},${win.max}` : '';
    el.dataset.frame = `${img.json.index}:${frame}`;
    el.dataset.ready = '1';
  }, [img, values, win, frame]);
  const onDrag = (dx: number, dy: number, phase: 'start' | 'move' | 'end') => {
    if (!values || !win) return;
    if (phase === 'start') {
      dragStart.current = win;
      return;
    }
    const w = dragWindow(dragStart.current!, dx, dy, valueRange(values));
    if (phase === 'move') setDragWin(w);
    else {
      setDragWin(null);
      setCustom(w);
      setPreset('custom');
    }
  };
  return (
    <div class="windowed-image">
      <div class="toolbar">
        {!img.json.rgb && (
          <>
            <label>window <select class="window-preset" value={preset} onChange={(e) => setPreset((e.target as HTMLSelectElement).value as Preset)}>
              <option value="frame">frame 5-95%</option>
              <option value="minmax">frame min/max</option>
              <option value="meta" disabled={!img.json.metaWindow}>meta WindowCenter/Width</option>
              <option value="custom" disabled={!custom}>custom (drag)</option>
            </select></label>
            <span class="window-text">{win ? `C ${+((win.min + win.max) / 2).toPrecision(6)} W ${+(win.max - win.min).toPrecision(6)}` : ''}</span>
          </>
        )}
        <label>mouse <select value={tool} onChange={(e) => setTool((e.target as HTMLSelectElement).value)}>
          <option value="window">drag: window/level</option>
          <option value="pan">drag: pan</option>
        </select></label>
      </div>
      <Zoomable width={img.json.width} height={img.json.height} onDrag={onDrag} tool={tool}>
        <canvas id={props.canvasId} class="export-target" ref={canvas} />
      </Zoomable>
    </div>
  );
}
