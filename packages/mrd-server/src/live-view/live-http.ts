/**
 * `/view` on mrd-server's HTTP port: the live page (bundled into dist/web by scripts/build.mjs,
 * served from the package with a Content-Security-Policy that allows this server only) and its
 * API:
 *   GET /view/                    the page
 *   GET /view/api/events          Server-Sent Events: `sessions` events with the snapshot
 *                                 (live and recent sessions, their kept images), on each change
 *                                 and every second while sessions run; watching while open
 *   GET /view/api/sessions        the same snapshot once (JSON); a poll watches for 15 s
 *   GET /view/api/image?session=ID&series=N   the latest kept image of a series (mrd-view's
 *                                 binary image envelope), 404 when none is kept
 *   GET /view/api/status          what is held for the page (watchers, taps, kept images and
 *                                 bytes); does not count as watching
 * The page shows images of patients: it binds where --http-port binds and must stay on a trusted
 * network (docs/deployment.md). When the server listens on a loopback address, requests whose
 * Host is not a loopback name are refused (a page elsewhere cannot reach it by DNS rebinding).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { colourTableLookup, imageEnvelope } from '@mrd-tools/mrd-view/image-envelope';
import type { LiveSessions } from './live-sessions.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

const CSP = "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** Snapshots are pushed at most this often (ms), however fast images come. */
const PUSH_INTERVAL_MS = 200;
/** Event-stream bytes a page may leave unread before it is disconnected (EventSource reconnects). */
const MAX_UNREAD_BYTES = 4 * 1024 * 1024;
/** While sessions run, a snapshot every second (elapsed times, message counts). */
const TICK_MS = 1000;

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');
}

export class LiveViewHttp {
  private readonly statics = new Map<string, Buffer>();
  private readonly streams = new Set<ServerResponse>();
  private pushTimer: NodeJS.Timeout | null = null;
  private tick: NodeJS.Timeout | null = null;
  private lastSent = '';

  /** Colour tables named by images' LUTFileName meta, found as mrd2gif finds them (the server's working directory, ./colormaps, its own folder). */
  private readonly palette: (name: string | undefined) => Uint8Array | null;

  constructor(private readonly live: LiveSessions, private readonly o: { webRoot: string; host: string }) {
    this.palette = colourTableLookup(dirname(o.webRoot));
    if (existsSync(join(o.webRoot, 'live.html'))) {
      for (const name of readdirSync(o.webRoot)) this.statics.set(name, readFileSync(join(o.webRoot, name)));
    }
    live.onChange(() => this.schedulePush());
  }

  /** Handles a request under /view; false for other paths. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    if (path !== '/view' && !path.startsWith('/view/')) return false;
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    if (isLoopback(this.o.host) && !isLoopback(host)) {
      this.json(res, 403, { error: `host ${req.headers.host ?? '(none)'} is not this server` });
      return true;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    if (path === '/view') {
      res.writeHead(301, { location: '/view/', 'cache-control': 'no-store' });
      res.end();
      return true;
    }
    switch (path) {
      case '/view/api/events':
        this.events(req, res);
        return true;
      case '/view/api/sessions':
        this.live.poll();
        this.json(res, 200, this.live.snapshot());
        return true;
      case '/view/api/status':
        this.json(res, 200, this.live.status());
        return true;
      case '/view/api/image':
        this.image(url, res);
        return true;
    }
    this.static(path.slice('/view/'.length) || 'live.html', res);
    return true;
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private static(name: string, res: ServerResponse): void {
    if (this.statics.size === 0) {
      this.json(res, 503, { error: 'the live page is not built (run node scripts/build.mjs)' });
      return;
    }
    const body = this.statics.get(name);
    if (!body) {
      this.json(res, 404, { error: `no such page: /view/${name}` });
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(name)] ?? 'application/octet-stream',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
      'content-length': body.length,
    });
    res.end(body);
  }

  private image(url: URL, res: ServerResponse): void {
    const id = url.searchParams.get('session') ?? '';
    const series = Number(url.searchParams.get('series'));
    if (!Number.isInteger(series)) {
      this.json(res, 400, { error: `parameter series must be an integer, got '${url.searchParams.get('series')}'` });
      return;
    }
    const k = this.live.image(id, series);
    if (!k) {
      this.json(res, 404, { error: `no image of series ${series} kept for session '${id}'` });
      return;
    }
    let body: Uint8Array;
    try {
      body = imageEnvelope(k.image, { index: k.seq, where: `session ${id} series ${series}`, palette: this.palette, extra: { session: id, series, seq: k.seq } });
    } catch (err) {
      // an image the page cannot draw (e.g. a data type mrd2gif does not show): say why
      this.json(res, 422, { error: (err as Error).message });
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store', 'content-length': body.byteLength });
    res.end(body);
  }

  private events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.socket?.setNoDelay(true);
    const stop = this.live.watch();
    this.streams.add(res);
    res.write(`retry: 2000\nevent: sessions\ndata: ${JSON.stringify(this.live.snapshot())}\n\n`);
    const end = () => {
      this.streams.delete(res);
      stop();
      if (this.streams.size === 0 && this.tick) {
        clearInterval(this.tick);
        this.tick = null;
      }
    };
    req.on('close', end);
    res.on('close', end);
    if (!this.tick) {
      this.tick = setInterval(() => {
        if (this.live.hasLiveSessions) this.push();
        else for (const r of this.streams) r.write(': keep-alive\n\n');
      }, TICK_MS);
      this.tick.unref();
    }
  }

  private schedulePush(): void {
    if (this.streams.size === 0 || this.pushTimer) return;
    this.pushTimer = setTimeout(() => {
      this.pushTimer = null;
      this.push();
    }, PUSH_INTERVAL_MS);
    this.pushTimer.unref();
  }

  private push(): void {
    if (this.streams.size === 0) return;
    const text = JSON.stringify(this.live.snapshot());
    if (text === this.lastSent && !this.live.hasLiveSessions) return;
    this.lastSent = text;
    const frame = `event: sessions\ndata: ${text}\n\n`;
    for (const r of this.streams) {
      // a page that does not read its stream is let go rather than buffered without bound
      if (r.writableLength > MAX_UNREAD_BYTES) r.destroy();
      else r.write(frame);
    }
  }

  /** Ends the event streams (the server shuts down). */
  close(): void {
    for (const r of this.streams) r.end();
    this.streams.clear();
    if (this.tick) clearInterval(this.tick);
    if (this.pushTimer) clearTimeout(this.pushTimer);
  }
}
