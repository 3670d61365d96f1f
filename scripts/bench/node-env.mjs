// The environment the benches give our Node CLIs, and what the one variable they drop costs.
// NODE_EXTRA_CA_CERTS makes every Node process read and parse that certificate bundle as it
// starts, before any of our code runs; a site's Node does not set it by default, and our tools
// open no TLS connection, so a bench that times a CLI's wall (start-up included) runs it without
// the variable and prints, in the same run, what the variable costs a bare `node -e 0` (peers in
// other languages, e.g. the Python pairs, keep their environment: they do not read it).
import { spawnSync } from 'node:child_process';

export const CA_VAR = 'NODE_EXTRA_CA_CERTS';

/** `env` (default: this process's) without NODE_EXTRA_CA_CERTS, for spawning our CLIs. */
export function toolEnv(env = process.env) {
  const out = { ...env };
  delete out[CA_VAR];
  return out;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Wall ms of one `node -e 0` with the environment `env`. */
function bareNodeMs(env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-e', '0'], { env, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node -e 0 failed (${r.status ?? r.signal})`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * What NODE_EXTRA_CA_CERTS costs one Node process's start here: `node -e 0` with the variable and
 * without, `runs` of each alternated, medians in ms. Null when the variable is not set.
 */
export function caCertStartCost(runs = 5) {
  if (!process.env[CA_VAR]) return null;
  const withVar = [];
  const without = [];
  const stripped = toolEnv();
  for (let i = 0; i < runs; i++) {
    withVar.push(bareNodeMs(process.env));
    without.push(bareNodeMs(stripped));
  }
  return { file: process.env[CA_VAR], runs, withMs: median(withVar), withoutMs: median(without), withAll: withVar, withoutAll: without };
}

/**
 * The lines a bench prints about the variable: whether our CLIs run without it and why (or with
 * it: `kept`, a bench's --keep-ca-env), what the peers get (`peers`), and its measured cost.
 */
export function caCertLines(cost, { peers = 'the peers keep their environment', kept = false } = {}) {
  if (!cost) return [`${CA_VAR} is not set: our CLIs run in the environment as given`];
  const fmt = (xs) => xs.map((x) => x.toFixed(0)).join(' ');
  return [
    kept
      ? `${CA_VAR}=${cost.file} is set here and our CLIs run WITH it (--keep-ca-env); ${peers}`
      : `${CA_VAR}=${cost.file} is set here: our CLIs run without it (they open no TLS connection; a site's Node does not set it by default); ${peers}`,
    `  its cost per Node process start (node -e 0, median of ${cost.runs}): ${cost.withMs.toFixed(0)} ms with, ${cost.withoutMs.toFixed(0)} ms without -> ${(cost.withMs - cost.withoutMs).toFixed(0)} ms (runs with: ${fmt(cost.withAll)}; without: ${fmt(cost.withoutAll)})`,
  ];
}
