/// <reference lib="dom" />
/**
 * mrd-server's live page (/view/): the sessions in progress (config, client, messages, bytes,
 * elapsed) and the recently finished ones, from the server's event stream (Server-Sent Events;
 * EventSource reconnects by itself), and the latest image of each series of the chosen session
 * as it is sent, drawn by mrd-view's window/level canvas (its `./page` export). The chosen
 * session and series are in the URL hash (`#s=<id>&series=<n>`), so a view can be shared.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { decodeEnvelope, WindowedImage, type ImageMeta, type LoadedImage } from '@mrd-tools/mrd-view/page';
import '@mrd-tools/mrd-view/page.css';
import './live.css';
import type { LiveSnapshot, SessionSummary } from '../live-sessions.js';

function readHash(): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(location.hash.replace(/^#/, '')));
}

function setHash(s: Record<string, string>): void {
  history.replaceState(null, '', `#${new URLSearchParams(s).toString()}`);
  window.dispatchEvent(new Event('hashchange'));
}

function useHash(): Record<string, string> {
  const [h, setH] = useState(readHash());
  useEffect(() => {
    const on = () => setH(readHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return h;
}

/** The latest snapshot from /view/api/events, and whether the stream is connected. */
function useSnapshot(): { snap: LiveSnapshot | null; connected: boolean } {
  const [snap, setSnap] = useState<LiveSnapshot | null>(null);
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    const es = new EventSource('api/events');
    es.addEventListener('sessions', (e) => {
      setConnected(true);
      setSnap(JSON.parse((e as MessageEvent<string>).data) as LiveSnapshot);
    });
    es.onerror = () => setConnected(false);
    return () => es.close();
  }, []);
  return { snap, connected };
}

function bytes(b: number): string {
  return b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : b >= 1e3 ? `${(b / 1e3).toFixed(1)} kB` : `${b} B`;
}

function seconds(s: number): string {
  return s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${s.toFixed(1)} s`;
}

function SessionTable(props: { list: SessionSummary[]; selected: string | undefined; finished: boolean; id: string }) {
  if (props.list.length === 0) return <div class="empty">{props.finished ? 'No session has finished yet.' : 'No session in progress.'}</div>;
  return (
    <table id={props.id}>
      <thead><tr><th>client</th><th>config</th><th>{props.finished ? 'outcome' : 'state'}</th><th>elapsed</th><th>messages in / out</th><th>bytes in / out</th><th>images</th></tr></thead>
      <tbody>
        {props.list.map((s) => (
          <tr class={`session${s.id === props.selected ? ' on' : ''}`} data-session={s.id} onClick={() => setHash({ s: s.id })}>
            <td title={`session ${s.id}`}>{s.client}</td>
            <td class="config">{s.config}</td>
            <td class={s.outcome ? `outcome-${s.outcome}` : ''}>{s.outcome ?? s.state}</td>
            <td>{seconds(s.elapsedSeconds)}</td>
            <td class="messages">{s.messagesIn} / {s.messagesOut}</td>
            <td>{bytes(s.bytesIn)} / {bytes(s.bytesOut)}</td>
            <td>{s.imagesSeen}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The kept image of (session, series) at `seq`, fetched when seq changes; the previous one stays while the next loads. */
function useLiveImage(session: string, series: number | undefined, seq: number | undefined): { img: LoadedImage | null; error: string } {
  const [state, setState] = useState<{ key: string; img: LoadedImage | null; error: string }>({ key: '', img: null, error: '' });
  const key = `${session}\n${series}`;
  useEffect(() => {
    if (series === undefined || seq === undefined) return;
    let live = true;
    fetch(`api/image?session=${encodeURIComponent(session)}&series=${series}`).then(async (res) => {
      if (!res.ok) throw new Error(((await res.json()) as { error?: string }).error ?? `${res.status}`);
      const img = decodeEnvelope<ImageMeta>(await res.arrayBuffer());
      if (live) setState({ key, img, error: '' });
    }).catch((e: Error) => live && setState((s) => ({ ...s, error: e.message })));
    return () => { live = false; };
  }, [key, seq]);
  return state.key === key ? state : { img: null, error: '' };
}

function SessionDetail(props: { s: SessionSummary; series: number | undefined }) {
  const { s } = props;
  const series = props.series !== undefined && s.images.some((k) => k.series === props.series) ? props.series : s.images[s.images.length - 1]?.series;
  const kept = s.images.find((k) => k.series === series);
  const { img, error } = useLiveImage(s.id, series, kept?.seq);
  return (
    <div class="detail" id="session-detail" data-session={s.id}>
      <table class="facts"><tbody>
        <tr><td>session</td><td>{s.id}</td><td>client</td><td>{s.client}</td><td>config</td><td>{s.config}</td></tr>
        <tr><td>state</td><td>{s.outcome ?? s.state}</td><td>elapsed</td><td>{seconds(s.elapsedSeconds)}</td><td>recon</td><td>{s.reconSeconds !== null ? seconds(s.reconSeconds) : '-'}</td></tr>
        <tr><td>received</td><td>{s.messagesIn} messages, {bytes(s.bytesIn)}</td><td>sent</td><td>{s.messagesOut} messages, {bytes(s.bytesOut)}</td><td>saved</td><td>{s.saved.join(', ') || '-'}</td></tr>
      </tbody></table>
      {s.texts.length > 0 && <div class="texts">{s.texts.map((t) => <div>{t}</div>)}</div>}
      {s.images.length === 0
        ? <div class="empty">{s.state === 'finished' ? 'No image of this session was seen while the page was open.' : 'No image yet (images are shown from the moment the page is open).'}</div>
        : (
          <>
            <div class="series-tabs">
              {s.images.map((k) => (
                <button class={k.series === series ? 'on' : ''} data-series={k.series} onClick={() => setHash({ s: s.id, series: String(k.series) })}
                  title={`image_index ${k.imageIndex}, ${k.matrix.join(' x ')}, slice ${k.slice}, contrast ${k.contrast}, phase ${k.phase}, repetition ${k.repetition}, set ${k.set}`}>
                  series {k.series}: image {k.imageIndex} ({k.seq} of {s.imagesSeen})
                </button>
              ))}
            </div>
            {error && <div class="error">{error}</div>}
            {/* one canvas per series: the next image of a series keeps the window chosen, another series starts from its own */}
            {img ? <WindowedImage key={`${s.id}/${series}`} img={img} canvasId="live-canvas" /> : <div class="loading">Loading the image...</div>}
          </>
        )}
    </div>
  );
}

function App() {
  const { snap, connected } = useSnapshot();
  const hash = useHash();
  if (!snap) return <div class="loading">Connecting to the server...</div>;
  const all = [...snap.live, ...snap.recent];
  const chosen = all.find((s) => s.id === hash.s) ?? snap.live[0] ?? snap.recent[0];
  const series = hash.series !== undefined ? Number(hash.series) : undefined;
  return (
    <div class="live">
      <div class="sessions">
        <div class={`status${connected ? '' : ' down'}`} id="stream-status">{connected ? 'live: updates as sessions run' : 'reconnecting to the server...'}</div>
        <h3>In progress ({snap.live.length})</h3>
        <SessionTable list={snap.live} selected={chosen?.id} finished={false} id="live-sessions" />
        <h3>Recently finished ({snap.recent.length})</h3>
        <SessionTable list={snap.recent} selected={chosen?.id} finished id="recent-sessions" />
      </div>
      {chosen ? <SessionDetail s={chosen} series={series} /> : <div class="detail empty">No session to show yet: sessions appear here as clients connect.</div>}
    </div>
  );
}

render(<App />, document.getElementById('app')!);
