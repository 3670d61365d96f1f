/// <reference lib="dom" />
/** uPlot in a Preact component: created on mount and whenever its data or options change. */
import { useEffect, useRef } from 'preact/hooks';
import type uPlot from 'uplot';

/** uPlot is loaded when the first plot is drawn (the image views never need it). Its CSS is in main.tsx. */
let uplotModule: Promise<typeof uPlot> | null = null;
const loadUplot = () => (uplotModule ??= import('uplot').then((m) => m.default));

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function Plot(props: { id?: string; title?: string; opts: Omit<uPlot.Options, 'width' | 'height'>; data: uPlot.AlignedData; height?: number; onPlot?: (u: uPlot) => void }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current!;
    let gone = false;
    let u: uPlot | null = null;
    let ro: ResizeObserver | null = null;
    void loadUplot().then((UPlot) => {
      if (gone) return;
      const width = Math.max(300, el.clientWidth || 600);
      const plot = new UPlot({ ...props.opts, title: props.title, width, height: props.height ?? 260 } as uPlot.Options, props.data, el);
      u = plot;
    // what is drawn, for tests and scripts: points per series
      el.dataset.points = plot.data.slice(1).map((d) => {
        let n = 0;
        const a = d as ArrayLike<unknown>;
        for (let k = 0; k < a.length; k++) if (a[k] !== null && a[k] !== undefined) n++;
        return n;
      }).join(',');
      props.onPlot?.(plot);
      ro = new ResizeObserver(() => {
        const w = Math.max(300, el.clientWidth);
        if (Math.abs(w - plot.width) > 4) plot.setSize({ width: w, height: props.height ?? 260 });
      });
      ro.observe(el);
    });
    return () => {
      gone = true;
      ro?.disconnect();
      u?.destroy();
    };
  }, [props.data, props.opts]);
  return <div id={props.id} class="plot" ref={box} />;
}

/** Series options for n lines with the standard colours. */
export function lines(labels: string[], width = 1, points = false): uPlot.Series[] {
  return labels.map((label, k) => ({ label, stroke: COLOURS[k % COLOURS.length], width, points: { show: points, size: 5, fill: COLOURS[k % COLOURS.length] } }));
}
