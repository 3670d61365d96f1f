/// <reference lib="dom" />
/**
 * mrd-view's page: the file tree beside the views of the chosen file and group (XML header,
 * acquisitions, k-space, waveforms, images, compare). The whole state is in the URL hash, so a
 * view can be bookmarked or sent to a colleague on the same machine set-up.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getJson, type FilesInfo } from './api.js';
import { AcquisitionsView } from './acquisitions-view.js';
import { HeaderView } from './header-view.js';
import { CompareView, ImagesView } from './images-view.js';
import { KspaceView, WaveformsView } from './signals-view.js';
import { useViewState, type ViewState } from './state.js';
import 'uplot/dist/uPlot.min.css';
import './styles.css';

const VIEWS: [string, string][] = [['header', 'XML header'], ['acquisitions', 'Acquisitions'], ['kspace', 'K-space'], ['waveforms', 'Waveforms'], ['images', 'Images'], ['compare', 'Compare']];

function size(b: number): string {
  return b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${(b / 1e3).toFixed(1)} kB`;
}

function Tree(props: { info: FilesInfo; state: ViewState; go: (s: ViewState) => void }) {
  const st = props.state;
  const here = (v: string, f: number, g: string, s?: string) => st.v === v && st.f === String(f) && st.g === g && (s === undefined || st.s === s);
  return (
    <nav class="tree">
      {props.info.files.map((file) => (
        <div class="tree-file">
          <div class="tree-title" title={file.path}>{file.name} <small>{size(file.size)}</small></div>
          {file.groups.map((gr) => {
            const base = { f: String(file.id), g: gr.name };
            return (
              <details open>
                <summary>{gr.name}</summary>
                <ul>
                  {gr.xml && <li class={here('header', file.id, gr.name) ? 'on' : ''}><a onClick={() => props.go({ ...base, v: 'header' })}>XML header</a></li>}
                  {gr.acquisitions > 0 && <li class={here('acquisitions', file.id, gr.name) ? 'on' : ''}><a data-tree="acquisitions" onClick={() => props.go({ ...base, v: 'acquisitions' })}>acquisitions ({gr.acquisitions})</a></li>}
                  {gr.acquisitions > 0 && <li class={here('kspace', file.id, gr.name) ? 'on' : ''}><a onClick={() => props.go({ ...base, v: 'kspace' })}>k-space</a></li>}
                  {gr.waveforms > 0 && <li class={here('waveforms', file.id, gr.name) ? 'on' : ''}><a data-tree="waveforms" onClick={() => props.go({ ...base, v: 'waveforms' })}>waveforms ({gr.waveforms})</a></li>}
                  {gr.series.map((s) => <li class={here('images', file.id, gr.name, s.name) ? 'on' : ''}><a data-tree={`series-${s.name}`} onClick={() => props.go({ ...base, v: 'images', s: s.name, i: '0' })}>{s.name} ({s.count} images)</a></li>)}
                  {gr.datasets.map((d) => <li class="dataset" title="a dataset that is not MRD records">{d.name}: {d.type} ({d.shape.join(' x ')})</li>)}
                </ul>
              </details>
            );
          })}
        </div>
      ))}
    </nav>
  );
}

/** The view's canvases (image, plots) as one PNG: side by side for comparisons, else one below the other. */
function exportPng(view: string): void {
  const canvases = Array.from(document.querySelectorAll<HTMLCanvasElement>('#view canvas')).filter((c) => c.width > 0 && c.height > 0);
  const list = view === 'images' || view === 'kspace' ? canvases.filter((c) => c.classList.contains('export-target')).concat(view === 'kspace' ? canvases.filter((c) => !c.classList.contains('export-target')) : []) : canvases;
  if (!list.length) return;
  const row = view === 'compare';
  const gap = 8;
  const W = row ? list.reduce((s, c) => s + c.width + gap, -gap) : Math.max(...list.map((c) => c.width));
  const H = row ? Math.max(...list.map((c) => c.height)) : list.reduce((s, c) => s + c.height + gap, -gap);
  const out = document.createElement('canvas');
  out.width = W;
  out.height = H;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  let at = 0;
  for (const c of list) {
    ctx.drawImage(c, row ? at : 0, row ? 0 : at);
    at += (row ? c.width : c.height) + gap;
  }
  out.toBlob((blob) => {
    if (!blob) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `mrd-view-${view}.png`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }, 'image/png');
}

function App() {
  const [info, setInfo] = useState<FilesInfo | null>(null);
  const [err, setErr] = useState('');
  const [state, set, replace] = useViewState();
  useEffect(() => {
    // the server puts /api/files into the page it serves (one round trip less before the first view)
    const inline = document.getElementById('mrd-files')?.textContent;
    (inline ? Promise.resolve(JSON.parse(inline) as FilesInfo) : getJson<FilesInfo>('/api/files')).then((i) => {
      setInfo(i);
      if (!location.hash && i.initial) {
        const { view, f, g, s } = i.initial;
        replace({ v: view, f: String(f), g, ...(s ? { s, i: '0' } : {}) });
      }
    }, (e: Error) => setErr(e.message));
  }, []);
  if (err) return <div class="error">{err}</div>;
  if (!info) return <div class="loading">Loading...</div>;
  const file = info.files[Number(state.f ?? 0)];
  const group = file?.groups.find((g) => g.name === state.g);
  const go = (s: ViewState) => replace(s);
  const tab = (v: string) => {
    const s = v === 'images' || v === 'compare' ? (state.s && group?.series.some((x) => x.name === state.s) ? state.s : group?.series[group.series.length - 1]?.name) : undefined;
    go({ v, f: state.f ?? '0', g: state.g ?? '', ...(s ? { s, i: state.i ?? '0' } : {}) });
  };
  const view = state.v ?? 'header';
  let body;
  if (!file || !group) body = <div class="empty">Pick a group on the left.</div>;
  else if (view === 'header') body = <HeaderView state={state} set={set} />;
  else if (view === 'acquisitions') body = group.acquisitions ? <AcquisitionsView state={state} set={set} names={info.flags} counters={info.counters} /> : <div class="empty">This group has no acquisitions.</div>;
  else if (view === 'kspace') body = group.acquisitions ? <KspaceView state={state} set={set} /> : <div class="empty">This group has no acquisitions.</div>;
  else if (view === 'waveforms') body = <WaveformsView state={state} set={set} />;
  else if (view === 'images') body = <ImagesView state={state} set={set} imageFlags={info.imageFlags} />;
  else if (view === 'compare') body = state.s ? <CompareView state={state} set={set} files={info.files} /> : <div class="empty">This group has no image series.</div>;
  return (
    <div class="app">
      <Tree info={info} state={state} go={go} />
      <main>
        <header>
          <span class="where">{file ? `${file.name}${group ? ` / ${group.name}` : ''}${state.s && (view === 'images' || view === 'compare') ? ` / ${state.s}` : ''}` : ''}</span>
          <span class="tabs">{VIEWS.map(([v, label]) => <button class={view === v ? 'on' : ''} data-view={v} onClick={() => tab(v)}>{label}</button>)}</span>
          <button id="export-png" onClick={() => exportPng(view)} title="Download the view's image and plots as PNG">Export PNG</button>
        </header>
        <div id="view" data-view={view}>{body}</div>
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
