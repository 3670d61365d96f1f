/**
 * Test harness for the end-to-end tests of mrd-server and mrd-client: starts the BUILT server
 * (packages/mrd-server/dist/cli.js, made by `node scripts/build.mjs`) on a free port, collects
 * its log, stops it with a signal; runs the built client. Also: which outputs of a README command
 * the repository's .gitignore covers.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { repoRoot } from '@mrd-tools/core/testing';
import type { Image } from '@mrd-tools/core/messages';
import type { MrdMessage } from '@mrd-tools/core/connection';

export const serverCli = join(repoRoot(), 'packages/mrd-server/dist/cli.js');
export const clientCli = join(repoRoot(), 'packages/mrd-client/dist/cli.js');

export function assertBuilt(): void {
  for (const f of [serverCli, clientCli]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run "node scripts/build.mjs" before the e2e tests`);
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Which of `names` (entries of `dir`, a scratch folder where README commands ran, standing in for
 * the repository folder) the repository's .gitignore ignores, as git itself decides: `dir` becomes
 * a git repository holding a copy of that .gitignore.
 */
export function ignoredByRepository(dir: string, names: string[]): string[] {
  const git = (args: string[], input?: string) => {
    const r = spawnSync('git', ['-C', dir, ...args], { input, encoding: 'utf8' });
    if (r.error) throw new Error(`git ${args.join(' ')}: ${r.error.message}`);
    return r;
  };
  if (git(['init', '-q']).status !== 0) throw new Error(`git init in ${dir} failed`);
  copyFileSync(join(repoRoot(), '.gitignore'), join(dir, '.gitignore'));
  // check-ignore exits 0 when some path is ignored, 1 when none is, 128 on an error.
  const r = git(['check-ignore', '--stdin'], names.join('\n') + '\n');
  if (r.status !== 0 && r.status !== 1) throw new Error(`git check-ignore failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

/** A process's resident memory in MB, from /proc (Linux), or NaN when not reported. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export interface RunningServer {
  port: number;
  /** The HTTP endpoints' port (with --http-port), else undefined. */
  httpPort?: number;
  proc: ChildProcess;
  log(): string;
  /**
   * The log from offset `from`, once it matches `pattern` or after `ms` (whichever comes first):
   * a session thread's lines reach the server's stderr asynchronously, possibly after the client
   * already has its answer.
   */
  logMatching(pattern: RegExp, from?: number, ms?: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `openFiles`: raise the server's open-file limit; `fileSizeBlocks`: limit the size of the files
 * it writes, in 512-byte blocks (writes beyond fail with EFBIG, as on a full disk). Both are set
 * with a shell `ulimit` before exec.
 */
export async function startServer(args: string[] = [], opts: { cwd?: string; env?: NodeJS.ProcessEnv; openFiles?: number; fileSizeBlocks?: number } = {}): Promise<RunningServer> {
  assertBuilt();
  const argv = [serverCli, '-p', '0', ...args];
  const [cmd, cmdArgs] = opts.openFiles || opts.fileSizeBlocks ? withLimits({ openFiles: opts.openFiles, fileSizeBlocks: opts.fileSizeBlocks }, argv) : [process.execPath, argv];
  const proc = spawn(cmd, cmdArgs, {
    cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c) => (out += c.toString()));
  proc.stderr!.on('data', (c) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20_000);
    const check = () => {
      const m = /Server listening at [^\s]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    proc.stdout!.on('data', check);
    proc.on('exit', () => {
      clearTimeout(timer);
      reject(new Error(`server exited:\n${out}`));
    });
  });
  // --http-port: its line follows the MRD port's
  const httpPort = args.includes('--http-port') || args.some((a) => a.startsWith('--http-port=')) || opts.env?.MRD_SERVER_HTTP_PORT !== undefined
    ? await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no HTTP endpoints line:\n${out}`)), 20_000);
      const check = () => {
        const m = /HTTP endpoints .* listening at [^\s]+:(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      check();
      proc.stdout!.on('data', check);
    })
    : undefined;
  return {
    port, proc, httpPort,
    log: () => out,
    async logMatching(pattern: RegExp, from = 0, ms = 10_000) {
      for (const end = Date.now() + ms; !pattern.test(out.slice(from)) && Date.now() < end;) await new Promise((r) => setTimeout(r, 20));
      return out.slice(from);
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/**
 * `node <args>` started through sh with limits set first: the soft open-file limit raised to
 * `openFiles` (or to the hard limit when that is lower), the file size limited to
 * `fileSizeBlocks` 512-byte blocks (POSIX sh units). exec keeps the pid node's.
 */
export function withLimits(limits: { openFiles?: number; fileSizeBlocks?: number }, nodeArgs: string[]): [string, string[]] {
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const steps: string[] = [];
  if (limits.openFiles) steps.push(`{ ulimit -n ${limits.openFiles} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; }`);
  if (limits.fileSizeBlocks) steps.push(`ulimit -f ${limits.fileSizeBlocks}`);
  const script = `${steps.join(' && ')} && exec ${[process.execPath, ...nodeArgs].map(quote).join(' ')}`;
  return ['sh', ['-c', script]];
}

/** `node <args>` with the open-file limit raised to `n` (see withLimits). */
export function withOpenFiles(n: number, nodeArgs: string[]): [string, string[]] {
  return withLimits({ openFiles: n }, nodeArgs);
}

export interface ClientRun {
  code: number | null;
  out: string;
}

export function runClient(args: string[], opts: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<ClientRun> {
  assertBuilt();
  return new Promise((resolve) => {
    const env = opts.env ? { ...process.env, ...opts.env } : undefined;
    const proc = spawn(process.execPath, [clientCli, ...args], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (c) => (out += c.toString()));
    proc.stderr.on('data', (c) => (out += c.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** Sends `bytes` to the server and collects everything it answers until it closes the connection. */
export function exchange(port: number, bytes: Uint8Array, opts: { endAfterWrite?: boolean; timeoutMs?: number } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s: Socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no end of response within ${opts.timeoutMs ?? 30_000} ms (got ${Buffer.concat(chunks).length} bytes)`));
    }, opts.timeoutMs ?? 30_000);
    s.on('connect', () => {
      s.write(bytes, () => {
        if (opts.endAfterWrite) s.end();
      });
    });
    s.on('data', (c) => chunks.push(c));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

// ----------------------------------------------------------------------------------------------
// Equivalence of MRD messages and files, as the acceptance criteria put it: the same message
// sequence, equal image headers, equal meta attributes, pixels within 1 for integer data and
// 1e-4 relative (to the image's largest magnitude) for float data. TEXT messages are equal
// except the processing-time report, whose number differs run to run.

const TIMING_TEXT = /^(INFO\s+Total processing time: )[\d.]+ ms$/;

function normaliseText(t: string): string {
  const m = TIMING_TEXT.exec(t);
  return m ? `${m[1]}<t> ms` : t;
}

function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
}

/** Meta attribute XML as a comparable value (e.g. parseMeta(xml).toObject()). */
export type MetaParser = (xml: string) => unknown;

export function pixelMismatch(ours: Image, ref: Image): string | null {
  if (ours.data.length !== ref.data.length) return `pixel count ${ours.data.length} vs ${ref.data.length}`;
  const float = ref.head.data_type >= 5;
  let maxAbs = 0;
  if (float) for (let i = 0; i < ref.data.length; i++) maxAbs = Math.max(maxAbs, Math.abs(ref.data[i] as number));
  const tol = float ? 1e-4 * Math.max(maxAbs, 1e-30) : 1;
  for (let i = 0; i < ref.data.length; i++) {
    const d = Math.abs((ours.data[i] as number) - (ref.data[i] as number));
    if (!(d <= tol)) return `pixel ${i}: ${ours.data[i]} vs ${ref.data[i]} (tolerance ${tol})`;
  }
  return null;
}

export function compareImages(ours: Image, ref: Image, where: string, parseMeta?: MetaParser): string[] {
  const problems: string[] = [];
  const a = plain(ours.head) as Record<string, unknown>;
  const b = plain(ref.head) as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) problems.push(`${where}: header ${k} ${JSON.stringify(a[k])} vs ${JSON.stringify(b[k])}`);
  }
  if (ours.attribute !== ref.attribute) {
    const pa = parseMeta ? JSON.stringify(plain(parseMeta(ours.attribute))) : ours.attribute;
    const pb = parseMeta ? JSON.stringify(plain(parseMeta(ref.attribute))) : ref.attribute;
    if (pa !== pb) problems.push(`${where}: meta differs:\n  ours ${ours.attribute.slice(0, 400)}\n  ref  ${ref.attribute.slice(0, 400)}`);
  }
  const px = pixelMismatch(ours, ref);
  if (px) problems.push(`${where}: ${px}`);
  return problems;
}

export function compareMessageSequences(ours: MrdMessage[], ref: MrdMessage[], parseMeta?: MetaParser): string[] {
  const problems: string[] = [];
  const seq = (ms: MrdMessage[]) => ms.map((m) => m.type).join(',');
  if (seq(ours) !== seq(ref)) return [`message sequence differs:\n  ours ${seq(ours)}\n  ref  ${seq(ref)}`];
  ours.forEach((m, i) => {
    const r = ref[i];
    if (m.type === 'text' && r.type === 'text') {
      if (normaliseText(m.text) !== normaliseText(r.text)) problems.push(`message ${i}: text ${JSON.stringify(m.text)} vs ${JSON.stringify(r.text)}`);
    } else if (m.type === 'image' && r.type === 'image') {
      problems.push(...compareImages(m.image, r.image, `message ${i} (image)`, parseMeta));
    } else if (m.type === 'acquisition' && r.type === 'acquisition') {
      if (JSON.stringify(plain(m.acquisition.head)) !== JSON.stringify(plain(r.acquisition.head))) problems.push(`message ${i}: acquisition header differs`);
    }
  });
  return problems;
}
