#!/usr/bin/env node
// Container health check of mrd-server (Dockerfile HEALTHCHECK): healthy when a TCP connection
// to the MRD port opens within the time limit. Exit 0 healthy, 1 not. The server has no HTTP
// port yet, so this is the check for now; the connection carries no data and is closed at once.
//   MRD_HEALTHCHECK_HOST (default 127.0.0.1), MRD_HEALTHCHECK_PORT (default 9002),
//   MRD_HEALTHCHECK_TIMEOUT_MS (default 4000)
import { connect } from 'node:net';

const host = process.env.MRD_HEALTHCHECK_HOST || '127.0.0.1';
const port = Number(process.env.MRD_HEALTHCHECK_PORT || 9002);
const timeoutMs = Number(process.env.MRD_HEALTHCHECK_TIMEOUT_MS || 4000);

const socket = connect({ host, port });
const timer = setTimeout(() => {
  process.stderr.write(`mrd-server health check: no answer from ${host}:${port} within ${timeoutMs} ms\n`);
  process.exit(1);
}, timeoutMs);
socket.on('connect', () => {
  clearTimeout(timer);
  socket.destroy();
  process.exit(0);
});
socket.on('error', (err) => {
  clearTimeout(timer);
  process.stderr.write(`mrd-server health check: ${host}:${port}: ${err.message}\n`);
  process.exit(1);
});
