#!/usr/bin/env node
// The iterative spiral recon as a new user meets it: the default spiral phantom
// (`mrd-phantom --trajectory spiral`, every option at its default) sent by mrd-client to
// mrd-server with config `rtspiral_bart_tvrecon` and the reference's TFD defaults (the shipped
// TOML: 120 iterations, 5 chunks, 7 arms per frame, lambda 0.0002), first with the native
// solver at the server's default --threads (the cores), then with `backend = "bart"` (BART
// `pics` on the same data, OMP_NUM_THREADS = the cores). Prints each session's wall time (client
// start to exit, the recon's set-up and nlinv coil maps included), the server's CPU seconds (Linux),
// the ratio, and the load. Our CLIs run without NODE_EXTRA_CA_CERTS (node-env.mjs; its cost is printed).
// Target (issue 18): the native run under 60 s on the 2-core development machine.
// Usage: node scripts/bench/tfd-defaults.bench.mjs [--no-bart | --bart-only] [--threads N]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { caCertLines, caCertStartCost, toolEnv } from './node-env.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = join(root, '.bench-data', 'tfd-defaults');
const cli = (tool) => join(root, 'packages', tool, 'dist', 'cli.js');
for (const t of ['phantom-gen', 'mrd-server', 'mrd-client']) if (!existsSync(cli(t))) throw new Error('build first (node scripts/build.mjs)');
const arg = (name) => { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1] : undefined; };
const threads = arg('--threads') ?? String(availableParallelism());
const load = () => loadavg().map((v) => v.toFixed(2)).join(' ');

mkdirSync(dir, { recursive: true });
const raw = join(dir, 'spiral_default.h5');
if (!existsSync(raw)) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli('phantom-gen'), '--trajectory', 'spiral', '-o', raw, '-q'], { encoding: 'utf8', cwd: dir });
  if (r.status !== 0) throw new Error(r.stderr || r.stdout);
  console.log(`(generated the default spiral phantom ${raw} in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
const shipped = readFileSync(join(root, 'packages/spiral-recon/configs/rtspiral_bart_tvrecon_config.toml'), 'utf8');

/** One session: a server with `toml` as its config, the client's wall time and the server's TFD line. */
async function session(name, toml, extraEnv = {}) {
  const cfg = join(dir, `config-${name}`);
  mkdirSync(cfg, { recursive: true });
  writeFileSync(join(cfg, 'rtspiral_bart_tvrecon_config.toml'), toml);
  const out = join(dir, `out-${name}.h5`);
  rmSync(out, { force: true });
  const server = spawn(process.execPath, [cli('mrd-server'), '-p', '0', '--threads', threads, '--config-dir', cfg], { cwd: dir, env: { ...toolEnv(), ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  server.stdout.on('data', (b) => { log += b; });
  server.stderr.on('data', (b) => { log += b; });
  let port = 0;
  for (let i = 0; i < 200 && port === 0; i++) {
    const m = /Server listening at [^\s]+:(\d+)/.exec(log);
    if (m) port = Number(m[1]);
    else await new Promise((r) => setTimeout(r, 50));
  }
  if (port === 0) { server.kill(); throw new Error(`server did not start:\n${log}`); }
  const t0 = performance.now();
  const c = spawnSync(process.execPath, [cli('mrd-client'), '-p', String(port), '-c', 'rtspiral_bart_tvrecon', '-o', out, raw], { cwd: dir, encoding: 'utf8', env: { ...toolEnv(), ...extraEnv } });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = serverCpuSeconds(server.pid);
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  if (c.status !== 0) throw new Error(`${name}: client failed (${c.status}):\n${c.stderr}\n${log.slice(-2000)}`);
  writeFileSync(join(dir, `server-${name}.log`), log);
  const tfd = /TFD: [^\n]*/.exec(log)?.[0] ?? '(no TFD line in the server log)';
  // the recon's stages as its progress lines report them (the first line of each stage)
  const stages = [...new Set(log.split('\n').filter((l) => /started, elapsed|Acquiring the data took|done in |Reconstruction is finished/.test(l)).map((l) => l.replace(/^.*?(INFO|DEBUG)\s*/, '')))];
  return { seconds, tfd, stages, cpu };
}

/**
 * The server process's CPU seconds so far (user + system, all its threads; Linux /proc, else
 * null): less sensitive than wall time to the other work on a shared machine.
 */
function serverCpuSeconds(pid) {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return null;
  const fields = readFileSync(stat, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
  return (Number(fields[11]) + Number(fields[12])) / ticks; // utime, stime (fields 14 and 15)
}

console.log(`tfd-defaults: the default spiral phantom, rtspiral_bart_tvrecon with the shipped TOML (120 iterations, 5 chunks); --threads ${threads}; ${availableParallelism()} cores; load average at start ${load()}`);
for (const l of caCertLines(caCertStartCost(5), { peers: 'BART runs under our server, without it too' })) console.log(l);
const native = process.argv.includes('--bart-only') ? null : await session('native', shipped);
if (native) {
  console.log(`native: ${native.seconds.toFixed(1)} s (session wall time)${native.cpu === null ? '' : `, server CPU ${native.cpu.toFixed(1)} s`}  [${native.tfd}]`);
  for (const l of native.stages) console.log(`  ${l}`);
  console.log(`target: under 60 s -> ${native.seconds < 60 ? 'met' : 'NOT met'}`);
}
if (process.argv.includes('--no-bart')) console.log('BART: not run (--no-bart)');
else if (spawnSync('bart', ['version'], { encoding: 'utf8' }).status !== 0 && !process.env.BART_TOOLBOX_PATH) console.log('BART: not available (no bart on PATH); no ratio');
else {
  const bartToml = shipped.replace(/"backend"\s*=\s*"native"/, '"backend"           = "bart"');
  if (bartToml === shipped) throw new Error('could not switch the shipped TOML to backend = "bart"');
  const bart = await session('bart', bartToml, { OMP_NUM_THREADS: threads });
  console.log(`BART pics backend: ${bart.seconds.toFixed(1)} s (session wall time)${bart.cpu === null ? '' : `, server CPU ${bart.cpu.toFixed(1)} s (bart's own processes not counted)`}  [${bart.tfd}]`);
  for (const l of bart.stages) console.log(`  ${l}`);
  if (native) console.log(`ratio native / BART: ${(native.seconds / bart.seconds).toFixed(2)} (below 1: native faster)`);
}
console.log(`load average at the end: ${load()}`);
