#!/usr/bin/env node
// Container health check of mrd-server (Dockerfile HEALTHCHECK): healthy when GET /healthz on the
// server's HTTP port (mrd-server --http-port) answers 200 within the time limit. Exit 0 healthy,
// 1 not. It never touches the MRD port, so it adds no line to the server's log.
//   MRD_HEALTHCHECK_HOST (default 127.0.0.1),
//   MRD_HEALTHCHECK_PORT (default MRD_SERVER_HTTP_PORT, else 9003),
//   MRD_HEALTHCHECK_PATH (default /healthz; /readyz checks readiness instead),
//   MRD_HEALTHCHECK_TIMEOUT_MS (default 4000)
import { request } from 'node:http';

const host = process.env.MRD_HEALTHCHECK_HOST || '127.0.0.1';
const port = Number(process.env.MRD_HEALTHCHECK_PORT || process.env.MRD_SERVER_HTTP_PORT || 9003);
const path = process.env.MRD_HEALTHCHECK_PATH || '/healthz';
const timeoutMs = Number(process.env.MRD_HEALTHCHECK_TIMEOUT_MS || 4000);

const fail = (why) => {
  process.stderr.write(`mrd-server health check: http://${host}:${port}${path}: ${why}\n`);
  process.exit(1);
};
const req = request({ host, port, path, method: 'GET', timeout: timeoutMs }, (res) => {
  res.resume();
  if (res.statusCode === 200) process.exit(0);
  fail(`status ${res.statusCode}`);
});
req.on('timeout', () => {
  req.destroy();
  fail(`no answer within ${timeoutMs} ms`);
});
req.on('error', (err) => fail(err.message));
req.end();
