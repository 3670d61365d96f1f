#!/usr/bin/env node
// Kubernetes preStop hook of mrd-server (deploy/kubernetes/deployment.yaml): waits for the drain.
// 1. Waits MRD_PRESTOP_DELAY_S (default 5) seconds while the pod is being taken out of the
//    Service's endpoints (the server still serves whatever reaches it meanwhile).
// 2. Sends SIGTERM to the server (MRD_PRESTOP_PID, default 1: the container's main process): it
//    stops accepting, /readyz answers 503, and the sessions in flight finish (--drain-timeout).
// 3. Waits until the server has exited (its HTTP port, MRD_SERVER_HTTP_PORT, stops answering),
//    at most MRD_PRESTOP_TIMEOUT_S (default 90) seconds.
// Kubernetes sends its own SIGTERM only after this hook returns; by then the server is gone (or,
// after the timeout, the signal is its second one and it aborts what is left). Exit 0 always:
// a preStop hook's failure only produces an event.
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const delayS = Number(process.env.MRD_PRESTOP_DELAY_S ?? 5);
const pid = Number(process.env.MRD_PRESTOP_PID || 1);
const port = Number(process.env.MRD_SERVER_HTTP_PORT || 9003);
const host = process.env.MRD_HEALTHCHECK_HOST || '127.0.0.1';
const timeoutS = Number(process.env.MRD_PRESTOP_TIMEOUT_S || 90);
const log = (m) => process.stdout.write(`mrd-server preStop: ${m}\n`);

const answers = () => new Promise((resolve) => {
  const req = request({ host, port, path: '/healthz', timeout: 2000 }, (res) => {
    res.resume();
    resolve(true);
  });
  req.on('timeout', () => req.destroy());
  req.on('error', () => resolve(false));
  req.end();
});

await sleep(Math.max(0, delayS) * 1000);
try {
  process.kill(pid, 'SIGTERM');
  log(`SIGTERM sent to ${pid}; waiting for its sessions to finish`);
} catch (err) {
  log(`cannot signal ${pid}: ${err.message}`);
  process.exit(0);
}
const deadline = Date.now() + timeoutS * 1000;
while (Date.now() < deadline && (await answers())) await sleep(500);
log(Date.now() < deadline ? 'the server has drained and exited' : `still running after ${timeoutS} s`);
process.exit(0);
