/**
 * The container recipe (there is no Docker engine in the test environments, so the files are
 * checked, and the health check is run against a real server):
 * - `.dockerignore` keeps what `COPY . .` must not take (node_modules at any depth, build
 *   output, .git, tests, demo and tutorial outputs, local MRD/DICOM/GIF data) and keeps every
 *   file the image build needs (workspace manifests, lockfile, build script, sources, example
 *   configs, bin launchers, scripts) -- matched with Docker's rules (patterns relative to the
 *   context, `*` within a path segment, `**` across segments, an excluded folder excludes what
 *   it holds, `!` re-includes);
 * - the final stage runs as a non-root user, from before its CMD, with writable data folders;
 * - the final stage exposes the MRD port and the HTTP port the server's CMD serves;
 * - a HEALTHCHECK runs GET /healthz on the HTTP port, and that script reports a serving server
 *   healthy (without a line in the server's log: it never touches the MRD port) and a closed
 *   port unhealthy.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@mrd-tools/core/testing';
import { startServer, type RunningServer } from './server-harness.js';

const root = repoRoot();

interface Instruction { op: string; args: string; line: number }

/** Dockerfile instructions (continuation lines joined, comments dropped), split into stages. */
function dockerStages(text: string): Instruction[][] {
  const stages: Instruction[][] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = i;
    let l = lines[i]!;
    if (/^\s*(#|$)/.test(l)) continue;
    while (l.endsWith('\\') && i + 1 < lines.length) l = l.slice(0, -1) + ' ' + lines[++i]!.trim();
    const m = /^\s*(\w+)\s+(.*)$/.exec(l);
    if (!m) continue;
    const ins = { op: m[1]!.toUpperCase(), args: m[2]!.trim(), line: first + 1 };
    if (ins.op === 'FROM') stages.push([]);
    stages[stages.length - 1]?.push(ins);
  }
  return stages;
}

/** Docker's .dockerignore decision for a path of the build context (true: left out). */
function dockerIgnored(patterns: string[], path: string): boolean {
  const toRegex = (p: string) => new RegExp('^' + p.split('/').map((seg) => (seg === '**' ? '\u0000' : seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]'))).join('/').replace(/\u0000\//g, '(?:.*/)?').replace(/\/\u0000/g, '(?:/.*)?').replace(/\u0000/g, '.*') + '$');
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const neg = raw.startsWith('!');
    const p = (neg ? raw.slice(1) : raw).replace(/^\/+/, '').replace(/\/+$/, '');
    const re = toRegex(p);
    if (prefixes.some((pre) => re.test(pre))) ignored = !neg;
  }
  return ignored;
}

const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const stages = dockerStages(dockerfile);
const final = stages[stages.length - 1]!;

describe('.dockerignore', () => {
  const file = join(root, '.dockerignore');
  it('exists', () => expect(existsSync(file)).toBe(true));
  const patterns = existsSync(file) ? readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')) : [];

  it('keeps installed and built files, version control, tests and local outputs out of COPY . .', () => {
    for (const p of [
      'node_modules/yargs/index.js', 'packages/mrd-core/node_modules/h5wasm/package.json', 'packages/mrd-server/dist/cli.js',
      '.git/HEAD', '.git/objects/ab/cdef', 'tests/e2e/docker.test.ts', 'tests/fixtures/reference/dicom/mr_small/MR_small.dcm',
      'mrd-demo-20260101-120000/phantom_raw.h5', 'phantom_raw.h5', 'data/scan.h5', 'spiral_img_dataset_image_0.gif', 'seq_meta/abc.mat',
      'configs/spiral_xdgrasp_config.toml', 'modules/filterkspace.ts', 'coverage/index.html', 'server.log', '.bench-data/x.h5',
    ]) expect(dockerIgnored(patterns, p), p).toBe(true);
  });

  it('keeps every file the image build needs', () => {
    const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
    const needed = tracked.filter((f) => f === 'package.json' || f === 'pnpm-lock.yaml' || f === 'pnpm-workspace.yaml' || f.startsWith('scripts/')
      || f.startsWith('tsconfig') || (f.startsWith('packages/') && !/\.test\.ts$/.test(f)));
    expect(needed).toEqual(expect.arrayContaining(['scripts/build.mjs', 'packages/spiral-recon/configs/rtspiral_vs_config.toml', 'packages/mrd-server/scripts/healthcheck.mjs', 'packages/mrd-server/bin/mrd-server.js']));
    expect(needed.filter((f) => dockerIgnored(patterns, f))).toEqual([]);
  });
});

describe('Dockerfile final stage', () => {
  it('runs as a non-root user, set before the command, with the data folders it writes made its own', () => {
    const users = final.filter((i) => i.op === 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users[users.length - 1]!;
    expect(user.args.split(':')[0]).not.toMatch(/^(root|0)$/);
    const cmd = final.find((i) => i.op === 'CMD')!;
    expect(user.line).toBeLessThan(cmd.line);
    // no RUN after USER needs root: the folders the server writes are chowned before
    const run = final.filter((i) => i.op === 'RUN').map((i) => i.args).join(' ');
    expect(run).toMatch(new RegExp(`chown -R ${user.args.split(':')[0]}(:\\S+)? /tmp/share`));
  });

  it('exposes the MRD port and the HTTP port its command serves', () => {
    const cmd = JSON.parse(final.find((i) => i.op === 'CMD')!.args) as string[];
    const http = cmd[cmd.indexOf('--http-port') + 1];
    expect(cmd).toContain('--http-port');
    expect(final.find((i) => i.op === 'EXPOSE')!.args.split(/\s+/)).toEqual([cmd[cmd.indexOf('-p') + 1], http]);
  });

  it('has a HEALTHCHECK running the /healthz check script shipped in the image', () => {
    const hc = final.find((i) => i.op === 'HEALTHCHECK');
    expect(hc, 'HEALTHCHECK in the final stage').toBeDefined();
    expect(hc!.args).toMatch(/--interval=\d+s/);
    const m = /CMD \["node", "\/opt\/code\/mrd-tools\/([^"]+)"\]/.exec(hc!.args);
    expect(m, hc!.args).not.toBeNull();
    expect(existsSync(join(root, m![1]!)), m![1]).toBe(true);
    // the script the image runs is the one tested below
    expect(m![1]).toBe('packages/mrd-server/scripts/healthcheck.mjs');
  });
});

describe('the health check script', () => {
  const script = join(root, 'packages/mrd-server/scripts/healthcheck.mjs');
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });
  const check = (port: number) => spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, MRD_HEALTHCHECK_PORT: String(port), MRD_HEALTHCHECK_TIMEOUT_MS: '3000' } });

  it('healthy: a serving mrd-server, whose log gets no line from the check', async () => {
    server = await startServer(['--http-port', '0']);
    const before = server.log();
    const r = check(server.httpPort!);
    expect([r.status, r.stderr]).toEqual([0, '']);
    await new Promise((res) => setTimeout(res, 200));
    expect(server.log()).toBe(before);
  });

  it('unhealthy: the MRD port is no HTTP endpoint', () => {
    const r = check(server!.port);
    expect(r.status).toBe(1);
  });

  it('unhealthy: nothing listening on the port', async () => {
    const free = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const r = check(free);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`127\\.0\\.0\\.1:${free}/healthz: .*ECONNREFUSED`));
  });
});
