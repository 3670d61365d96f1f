/**
 * `--http-port`: mrd-server's HTTP endpoints for load balancers, orchestrators and Prometheus,
 * on the MRD port's host:
 * - `GET /healthz`: 200 while the process works (listening, or draining its sessions: a liveness
 *   probe must not kill a server that is finishing its work), 503 otherwise;
 * - `GET /readyz`: 200 while the server takes new sessions, 503 while draining or at
 *   `--max-sessions` (HAProxy's `option httpchk`, Kubernetes' readinessProbe);
 * - `GET /metrics`: the Prometheus text format (metrics.ts).
 * Bodies are one line of text saying why; HEAD is answered like GET without the body.
 * `routes` adds paths of its own (the live view's /view, live-view/live-http.ts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { logger } from '@mrd-tools/core/logging';
import type { ServerMetrics } from './metrics.js';

/** What the endpoints ask the MRD server. */
export interface ServerHealth {
  readonly isListening: boolean;
  readonly draining: boolean;
  readiness(): { ready: boolean; reason: string };
}

export interface HttpEndpoints {
  port: number;
  close(): Promise<void>;
}

/** More paths served on the port: answers and returns true, or returns false for a path not its own. */
export type HttpRoutes = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

export function startHttpEndpoints(o: { host: string; port: number; server: ServerHealth; metrics: ServerMetrics; routes?: HttpRoutes }): Promise<HttpEndpoints> {
  const reply = (res: ServerResponse, head: boolean, status: number, body: string, type = 'text/plain; charset=utf-8') => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
    res.end(head ? undefined : body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      return reply(res, false, 405, 'method not allowed\n');
    }
    if (o.routes?.(req, res, path ?? '/')) return;
    switch (path) {
      case '/healthz': {
        const alive = o.server.isListening || o.server.draining;
        return reply(res, head, alive ? 200 : 503, alive ? (o.server.draining ? 'ok (draining)\n' : 'ok\n') : 'not listening\n');
      }
      case '/readyz': {
        const r = o.server.readiness();
        return reply(res, head, r.ready ? 200 : 503, `${r.ready ? 'ready' : 'not ready'}: ${r.reason}\n`);
      }
      case '/metrics':
        return reply(res, head, 200, await o.metrics.text(), o.metrics.contentType);
      default:
        return reply(res, head, 404, `not found (endpoints: /healthz, /readyz, /metrics${o.routes ? ', /view/' : ''})\n`);
    }
  };
  const http = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      logger.error(`HTTP ${req.method} ${req.url}: ${err.message}`);
      if (!res.headersSent) reply(res, false, 500, 'internal error\n');
      else res.destroy();
    });
  });
  // Probes come every few seconds: keep no idle connection longer than needed.
  http.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen({ host: o.host, port: o.port }, () => {
      http.off('error', reject);
      http.on('error', (err) => logger.error(`HTTP endpoints: ${err.message}`));
      const addr = http.address();
      const port = typeof addr === 'object' && addr ? addr.port : o.port;
      logger.info(`HTTP endpoints (/healthz, /readyz, /metrics${o.routes ? ', /view/' : ''}) listening at ${o.host}:${port}`);
      resolve({
        port,
        close: () => new Promise<void>((r) => {
          http.close(() => r());
          http.closeAllConnections();
        }),
      });
    });
  });
}
