/**
 * Running the `bart` executable (Berkeley Advanced Reconstruction Toolbox) the way the reference's
 * python wrapper does: arrays go through .cfl/.hdr files in a temporary folder, the command line
 * is `bart <tool> <options> <inputs> <outputs>`.
 *
 * Located through BART_TOOLBOX_PATH (the config key, else the environment variable: the folder
 * holding the `bart` binary, as in a BART source build) or else PATH. The version (`bart
 * version`) decides how the reference's command lines are adapted (adaptBartArgs): releases
 * before 0.9 (Debian/Ubuntu ship 0.8.00) have no `-x` option in `nlinv` and `nufft`, and the
 * CPU builds have no GPU, so `-g` is dropped everywhere (the config's gpu_device is ignored).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { logger } from '@mrd-tools/core/logging';
import { readCfl, writeCfl, type CflArray } from './cfl.js';

const BART_INSTALL_HINT =
  'install it (Debian/Ubuntu: `sudo apt-get install bart`; other systems: build it from https://github.com/mrirecon/bart) ' +
  'and put `bart` on the PATH or set BART_TOOLBOX_PATH (config key or environment variable) to the folder holding it';

export class BartNotFoundError extends Error {
  constructor(searched: string[]) {
    super(`BART executable not found (searched: ${searched.join(', ') || 'PATH is empty'}); ${BART_INSTALL_HINT}`);
    this.name = 'BartNotFoundError';
  }
}

class BartCommandError extends Error {
  constructor(readonly command: string, readonly stderr: string, code: number | string | null) {
    super(`bart ${command} failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' | ') || 'no message'}`);
    this.name = 'BartCommandError';
  }
}

export interface BartVersion {
  text: string;
  major: number;
  minor: number;
  patch: number;
}

/** Parses `bart version` output: "v0.8.00", "v0.9.00-12-gabcdef", "0.7.00-dirty". */
export function parseBartVersion(text: string): BartVersion {
  const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!m) throw new Error(`unrecognised BART version "${text.trim()}"`);
  return { text: text.trim(), major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

function atLeast(v: BartVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

/** Tools whose option takes a value, per option letter, so the value is dropped with it. */
const OPTIONS_WITH_VALUE: Readonly<Record<string, string>> = {
  nlinv: 'abdixIp',
  nufft: 'xdD',
  pics: 'wiRrstpIdfCuWmTBPaKMoxOLU',
};

/**
 * The reference's arguments for `tool`, adapted to this BART: `-g` removed (CPU), `-x <dims>`
 * removed from nlinv and nufft before 0.9. Options may be glued to their value ("-d4", "-i13").
 */
export function adaptBartArgs(tool: string, args: readonly string[], version: BartVersion): string[] {
  const dropX = !atLeast(version, 0, 9) && (tool === 'nlinv' || tool === 'nufft');
  const out: string[] = [];
  const valued = OPTIONS_WITH_VALUE[tool] ?? '';
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-g') continue;
    if (dropX && (a === '-x' || a.startsWith('-x'))) {
      if (a === '-x') i++;
      continue;
    }
    out.push(a);
    if (/^-[A-Za-z]$/.test(a) && valued.includes(a[1]) && i + 1 < args.length) out.push(args[++i]);
  }
  return out;
}

/** Splits a reference command string ("pics -g -m -w 3 -R T:1024:1024:0.1") into tool and args. */
export function splitBartCommand(cmd: string): { tool: string; args: string[] } {
  const parts = cmd.trim().split(/\s+/);
  return { tool: parts[0], args: parts.slice(1) };
}

function run(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: env ?? process.env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new BartCommandError(args.join(' '), String(stderr), (err as NodeJS.ErrnoException & { code?: number | string }).code ?? null));
      else resolve({ stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Candidate executables: BART_TOOLBOX_PATH (given, then environment) then every PATH folder. */
function bartCandidates(toolboxPath?: string): string[] {
  const out: string[] = [];
  for (const p of [toolboxPath, process.env.BART_TOOLBOX_PATH]) if (p) out.push(join(p, 'bart'));
  for (const d of (process.env.PATH ?? '').split(delimiter)) if (d) out.push(join(d, 'bart'));
  return out;
}

export class Bart {
  private constructor(readonly executable: string, readonly version: BartVersion, private readonly env: NodeJS.ProcessEnv) {}

  /** Finds bart and reads its version; throws BartNotFoundError (with install instructions). */
  static async locate(toolboxPath?: string): Promise<Bart> {
    const candidates = bartCandidates(toolboxPath);
    const exe = candidates.find((c) => existsSync(c));
    if (!exe) throw new BartNotFoundError(candidates.filter((c, i) => candidates.indexOf(c) === i));
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (toolboxPath) env.BART_TOOLBOX_PATH = toolboxPath;
    delete env.BART_DEBUG_LEVEL;
    const { stdout } = await run(exe, ['version'], env);
    const version = parseBartVersion(stdout);
    logger.info(`BART ${version.text} at ${exe}`);
    return new Bart(exe, version, env);
  }

  /**
   * Runs `bart <tool> <args adapted> <inputs> <outputs>` with the arrays written to and read from
   * a temporary folder (removed afterwards). Returns the output arrays in order.
   */
  async run(command: string, inputs: readonly CflArray[], outputs: number): Promise<CflArray[]> {
    const { tool, args } = splitBartCommand(command);
    const adapted = adaptBartArgs(tool, args, this.version);
    const dir = await mkdtemp(join(tmpdir(), 'mrd-bart-'));
    try {
      const inNames = inputs.map((_, i) => join(dir, `in${i}`));
      const outNames = Array.from({ length: outputs }, (_, i) => join(dir, `out${i}`));
      await Promise.all(inputs.map((a, i) => writeCfl(inNames[i], a.dims, a.data)));
      const argv = [tool, ...adapted, ...inNames, ...outNames];
      logger.debug(`bart ${argv.map((a) => a.replace(dir + '/', '')).join(' ')}`);
      await run(this.executable, argv, this.env);
      return await Promise.all(outNames.map((n) => readCfl(n)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
