/**
 * mrd-view's HTTP server (node:http): the page (static files bundled into dist/web) and its API
 * over the opened files. It serves only what it was given: files are named by their index in
 * the command line, never by a path from the request, and requests whose Host is not the
 * address it listens on are refused (a web page elsewhere cannot reach it through DNS
 * rebinding). The page's Content-Security-Policy allows requests to this server only.
 *
 * API (all GET; `f` file index, `g` group, `s` series, `i` index):
 *   /api/files                         files, groups, datasets with counts; the view to open first
 *   /api/xml?f&g                       the XML header text
 *   /api/acquisitions?f&g&start&end[&filter]   table rows (JSON); filter = JSON AcquisitionFilter
 *   /api/acquisitions/summary?f&g      counter ranges and flag counts (builds the column index)
 *   /api/readout?f&g&i                 one readout: header, data, trajectory (binary envelope)
 *   /api/kspace?f&g&<counter>=v...     log-magnitude k-space per coil (binary)
 *   /api/trajectory?f&g                k-space positions of the non-Cartesian readouts (binary)
 *   /api/waveforms?f&g                 waveform ids with counts (JSON)
 *   /api/waveform?f&g&id               samples against time per channel, triggers (binary)
 *   /api/series?f&g&s                  the series' image counters (JSON)
 *   /api/image?f&g&s&i                 one image's frames, header, meta, ROIs (binary)
 *   /api/window?f&g&s                  mrd2gif's window of every frame of the series (JSON)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { AcquisitionFlag, ImageFlag } from '@mrd-tools/core/constants';
import { logger } from '@mrd-tools/core/logging';
import { COUNTER_NAMES, parseFilter } from './acquisition-index.js';
import { MrdSource, RequestError } from './mrd-source.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

const CSP = "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export interface ViewServerOptions {
  /** Folder of the built page (dist/web). */
  webRoot: string;
  host?: string;
  port?: number;
}

export class ViewServer {
  private server: Server | null = null;
  private readonly statics = new Map<string, Buffer>();
  private allowedHosts = new Set<string>();
  private closing = false;

  constructor(private readonly sources: MrdSource[], private readonly opts: ViewServerOptions) {
    if (!existsSync(join(opts.webRoot, 'index.html'))) throw new Error(`the page is not built: ${join(opts.webRoot, 'index.html')} is missing`);
    for (const name of readdirSync(opts.webRoot)) this.statics.set('/' + name, readFileSync(join(opts.webRoot, name)));
  }

  /** Starts listening; resolves the URL of the page. */
  listen(): Promise<string> {
    const host = this.opts.host ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      const server = createServer((req, res) => void this.handle(req, res));
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, host, () => {
        server.off('error', reject);
        this.server = server;
        const port = (server.address() as AddressInfo).port;
        const shown = host.includes(':') ? `[${host}]` : host;
        this.allowedHosts = new Set([`${shown}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
        resolve(`http://${shown}:${port}/`);
      });
    });
  }

  close(): Promise<void> {
    this.closing = true;
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /**
   * Whether a request's Host names this server: one of the names it listens on, or any IP
   * address with its port (what another machine uses when it listens on 0.0.0.0). A DNS name
   * that is not localhost is refused: that is how a page from elsewhere would reach it by DNS
   * rebinding.
   */
  private hostAllowed(host: string | undefined): boolean {
    if (!host) return false;
    if (this.allowedHosts.has(host)) return true;
    const m = /^(\[[0-9a-fA-F:.]+\]|\d{1,3}(?:\.\d{1,3}){3}):(\d+)$/.exec(host);
    return !!m && this.server !== null && Number(m[2]) === (this.server.address() as AddressInfo).port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const t0 = performance.now();
    res.once('finish', () => logger.debug(`${req.method} ${req.url} ${res.statusCode} ${(performance.now() - t0).toFixed(0)} ms`));
    try {
      if (!this.hostAllowed(req.headers.host)) throw new RequestError(403, `host ${req.headers.host ?? '(none)'} is not this server`);
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new RequestError(405, `${req.method} is not served`);
      if (url.pathname.startsWith('/api/')) await this.api(url, res);
      else this.static(url.pathname, res);
    } catch (e) {
      const status = e instanceof RequestError ? e.status : e instanceof RangeError ? 400 : 500;
      const message = (e as Error).message;
      if (status === 500 && !this.closing) logger.error(`${url.pathname}: ${message}`);
      if (!res.headersSent) {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ error: message }));
      } else res.destroy();
    }
  }

  private static(path: string, res: ServerResponse): void {
    const name = path === '/' ? '/index.html' : path;
    let body = this.statics.get(name);
    if (!body) throw new RequestError(404, `no such page: ${path}`);
    if (name === '/index.html') {
      // the file tree travels with the page (a JSON data block: not a script the CSP would run)
      const data = JSON.stringify(this.filesInfo()).replace(/</g, '\\u003c');
      body = Buffer.from(body.toString('utf8').replace('</body>', `<script type="application/json" id="mrd-files">${data}</script>\n</body>`));
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(name)] ?? 'application/octet-stream',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
    });
    res.end(body);
  }

  /** The opened files, their groups and datasets, and the view to open first. */
  private filesInfo(): unknown {
    const first = this.sources[0]?.initialView() ?? null;
    return {
      files: this.sources.map((s) => s.tree()),
      initial: first ? { ...first, f: 0 } : null,
      flags: Object.fromEntries(Object.entries(AcquisitionFlag).map(([k, v]) => [v, k])),
      imageFlags: Object.fromEntries(Object.entries(ImageFlag).map(([k, v]) => [v, k])),
      counters: COUNTER_NAMES,
    };
  }

  private source(url: URL): MrdSource {
    const f = Number(url.searchParams.get('f') ?? '0');
    const s = this.sources[f];
    if (!Number.isInteger(f) || !s) throw new RequestError(404, `no file ${url.searchParams.get('f')} (${this.sources.length} opened)`);
    return s;
  }

  private static int(url: URL, name: string, dflt?: number): number {
    const v = url.searchParams.get(name);
    if (v === null) {
      if (dflt !== undefined) return dflt;
      throw new RangeError(`parameter ${name} is missing`);
    }
    const n = Number(v);
    if (!Number.isInteger(n)) throw new RangeError(`parameter ${name} must be an integer, got '${v}'`);
    return n;
  }

  private async api(url: URL, res: ServerResponse): Promise<void> {
    const json = (v: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(v));
    };
    const binary = (b: Uint8Array) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(b);
    };
    const p = url.searchParams;
    switch (url.pathname) {
      case '/api/files':
        return json(this.filesInfo());
      case '/api/xml': {
        // read first: an unknown group is a 404, not a 200 cut short
        const xml = this.source(url).xml(p.get('g') ?? '');
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
        res.end(xml);
        return;
      }
      case '/api/acquisitions':
        return json(await this.source(url).acquisitionRows(p.get('g') ?? '', ViewServer.int(url, 'start', 0), ViewServer.int(url, 'end', 100), parseFilter(p.get('filter'))));
      case '/api/acquisitions/summary':
        return json(await this.source(url).acquisitionSummary(p.get('g') ?? ''));
      case '/api/readout':
        return binary(await this.source(url).readout(p.get('g') ?? '', ViewServer.int(url, 'i')));
      case '/api/kspace': {
        const sel: Partial<Record<(typeof COUNTER_NAMES)[number], number>> = {};
        for (const n of COUNTER_NAMES) if (p.has(n)) sel[n] = ViewServer.int(url, n);
        return binary(await this.source(url).kspace(p.get('g') ?? '', sel));
      }
      case '/api/trajectory':
        return binary(await this.source(url).trajectory(p.get('g') ?? ''));
      case '/api/waveforms':
        return json(await this.source(url).waveformIds(p.get('g') ?? ''));
      case '/api/waveform':
        return binary(await this.source(url).waveform(p.get('g') ?? '', ViewServer.int(url, 'id')));
      case '/api/series': {
        const src = this.source(url);
        return json(await src.seriesInfo(p.get('g') ?? '', p.get('s') ?? ''));
      }
      case '/api/image':
        return binary(await this.source(url).image(p.get('g') ?? '', p.get('s') ?? '', ViewServer.int(url, 'i')));
      case '/api/window':
        return json(await this.source(url).seriesWindows(p.get('g') ?? '', p.get('s') ?? ''));
      default:
        throw new RequestError(404, `no such API: ${url.pathname}`);
    }
  }
}
