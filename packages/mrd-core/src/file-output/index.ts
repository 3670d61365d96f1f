/**
 * Output files that never leave the user with less than they had: every tool that writes a file
 * builds it under a temporary name in the destination folder and publishes it in one step at the
 * end (link(2) when nothing may be replaced, rename(2) when replacing was asked for), removing the
 * temporary file on any failure. A full disk, a read-only folder or a kill therefore leaves either
 * the old state or the finished file, never a half-written one.
 *
 * Failures are reported as OutputFileError, one line naming the file and the reason in words
 * ("cannot write out/ph.h5: no space left on device"), including the cases Node reports
 * misleadingly (a recursive mkdir under a read-only mount fails with ENOENT).
 */
import { constants, existsSync, openSync } from 'node:fs';
import { access, link, mkdir, open, rename, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** A file (or its folder) that could not be written; the message names it and says why. */
export class OutputFileError extends Error {
  override name = 'OutputFileError';
  constructor(
    /** The output as the user named it. */
    readonly path: string,
    /** What went wrong, in words. */
    readonly reason: string,
    /** The system error code (ENOSPC, EROFS, EEXIST, ...), when there was one. */
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot write ${path}: ${reason}`, options);
  }
}

function codeOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** The reason of a failed write to `path` in words (no "ENOSPC: ..., write" jargon). */
function writeFailureReason(path: string, err: unknown): string {
  const dir = dirname(resolve(path));
  switch (codeOf(err)) {
    case 'ENOSPC': return 'no space left on device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'EROFS': return `folder ${dir} is read-only`;
    case 'EACCES':
    case 'EPERM': return `permission denied (folder ${dir})`;
    case 'ENOENT': return `folder ${dir} does not exist`;
    case 'ENOTDIR': return `${dir} is not a folder`;
    case 'EISDIR': return 'it is a folder';
    case 'EEXIST': return 'file exists';
    case 'EFBIG': return 'file too large for this file system';
    case 'EIO': return 'input/output error';
    default: {
      const text = err instanceof Error ? err.message : String(err);
      // drop Node's "CODE: " prefix and ", syscall 'path'" suffix when there is one
      return text.replace(/^[A-Z]+: /, '').replace(/, \w+ '[^']*'$/, '');
    }
  }
}

/** `err` as an OutputFileError naming `path` (unchanged when it already is one). */
export function outputError(path: string, err: unknown): OutputFileError {
  if (err instanceof OutputFileError) return err;
  return new OutputFileError(path, writeFailureReason(path, err), codeOf(err), { cause: err });
}

/**
 * `err` as an OutputFileError naming `path` when it is a system error (it has a code: ENOSPC,
 * EROFS, ...); any other error (a refusal with its own message) passes through unchanged.
 */
export function asOutputError(path: string, err: unknown): unknown {
  return typeof codeOf(err) === 'string' ? outputError(path, err) : err;
}

/**
 * A temporary name beside `path` (same folder, so publishing it is a rename within one file
 * system). The name only has to be unlikely to be in use, not secret: the process id, the time and
 * a Math.random draw (node:crypto is not loaded for it: it would be on every tool's start-up path).
 * Create the file with createTemporaryFile, which never opens a name that is already taken.
 */
export function temporaryNameFor(path: string): string {
  const tag = `${process.pid}.${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 12)}`;
  return join(dirname(path), `.${basename(path)}.${tag}.tmp`);
}

/** How many names createTemporaryFile draws before giving up (each taken one is a file it must not touch). */
const TEMPORARY_NAME_ATTEMPTS = 100;

/** Whether another name should be drawn after `err` on the `attempt`-th exclusive open. */
function drawAgain(err: unknown, attempt: number): boolean {
  return codeOf(err) === 'EEXIST' && attempt < TEMPORARY_NAME_ATTEMPTS;
}

/**
 * Creates a new temporary file beside `path` (temporaryNameFor) and opens it: exclusively
 * (O_CREAT | O_EXCL), so a file that already has the drawn name (another process's, a killed
 * run's leftover) is never opened, truncated or later removed; another name is drawn instead.
 * `flags`: 'wx' to write, 'wx+' to read too. Other failures (a read-only folder, ...) are thrown
 * as they are, for the caller to report.
 */
export async function createTemporaryFile(path: string, flags: 'wx' | 'wx+' = 'wx'): Promise<{ tmp: string; fh: FileHandle }> {
  for (let attempt = 1; ; attempt++) {
    const tmp = temporaryNameFor(path);
    try {
      return { tmp, fh: await open(tmp, flags) };
    } catch (err) {
      if (!drawAgain(err, attempt)) throw err;
    }
  }
}

/** createTemporaryFile for synchronous callers: the same names and rules, an open descriptor. */
export function createTemporaryFileSync(path: string, flags: 'wx' | 'wx+' = 'wx'): { tmp: string; fd: number } {
  for (let attempt = 1; ; attempt++) {
    const tmp = temporaryNameFor(path);
    try {
      return { tmp, fd: openSync(tmp, flags) };
    } catch (err) {
      if (!drawAgain(err, attempt)) throw err;
    }
  }
}

/** The nearest existing ancestor folder of `dir` (itself when it exists). */
async function nearestExisting(dir: string): Promise<string> {
  let d = resolve(dir);
  for (;;) {
    if (await stat(d).then(() => true, () => false)) return d;
    const up = dirname(d);
    if (up === d) return d;
    d = up;
  }
}

/**
 * Why files cannot be created in `dir` (or in the folders that would have to be created for it),
 * or null when they can: a read-only file system, no permission, a path part that is a file.
 */
async function folderProblem(dir: string): Promise<string | null> {
  const existing = await nearestExisting(dir);
  const st = await stat(existing).catch(() => null);
  if (st && !st.isDirectory()) return `${existing} is not a folder`;
  try {
    await access(existing, constants.W_OK | constants.X_OK);
    return null;
  } catch (err) {
    const code = codeOf(err);
    if (code === 'EROFS') return `folder ${existing} is read-only`;
    if (code === 'EACCES' || code === 'EPERM') return `permission denied (folder ${existing})`;
    return writeFailureReason(join(existing, 'x'), err);
  }
}

/**
 * Creates the folder `dir` (and its parents) for the output `forPath`; an OutputFileError naming
 * `forPath` when it cannot (read-only, no permission, a file in the way).
 * Returns what it created, for removeCreatedFolders when the run fails.
 */
export async function prepareOutputFolder(dir: string, forPath: string = dir): Promise<CreatedFolders> {
  let first: string | undefined;
  try {
    first = await mkdir(dir, { recursive: true });
  } catch (err) {
    const why = await folderProblem(dir);
    throw new OutputFileError(forPath, why ?? writeFailureReason(join(dir, 'x'), err), codeOf(err), { cause: err });
  }
  const created = { dir: resolve(dir), first: first === undefined ? undefined : resolve(first) };
  const why = await folderProblem(dir);
  if (why) {
    await removeCreatedFolders(created);
    throw new OutputFileError(forPath, why);
  }
  return created;
}

/** What prepareOutputFolder made: `dir`, and the outermost folder it had to create (none: undefined). */
export interface CreatedFolders {
  dir: string;
  first: string | undefined;
}

/**
 * Undoes prepareOutputFolder after a run that failed: removes the folders it created, innermost
 * first, as long as they are still empty (a failed run leaves no empty output folder behind; a
 * folder that now holds something, or that was there before, is left alone).
 */
export async function removeCreatedFolders(created: CreatedFolders | undefined): Promise<void> {
  if (!created?.first) return;
  let dir = created.dir;
  for (;;) {
    try {
      await rmdir(dir);
    } catch {
      return;
    }
    if (dir === created.first) return;
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

/**
 * Checks, before any work is done, that the file `path` can be created: its folder exists (or,
 * with `createFolder`, can be made) and is writable. An OutputFileError naming `path` otherwise.
 */
export async function checkOutputPath(path: string, opts: { createFolder?: boolean } = {}): Promise<void> {
  const dir = dirname(resolve(path));
  const st = await stat(dir).catch(() => null);
  if (!st) {
    if (opts.createFolder) {
      await prepareOutputFolder(dir, path);
      return;
    }
    const why = await folderProblem(dir);
    throw new OutputFileError(path, why && /read-only|permission/.test(why) ? why : `folder ${dir} does not exist`, 'ENOENT');
  }
  if (!st.isDirectory()) throw new OutputFileError(path, `${dir} is not a folder`, 'ENOTDIR');
  const why = await folderProblem(dir);
  if (why) throw new OutputFileError(path, why);
}

/** Checks, before any work is done, that files can be created in the existing folder `dir`. */
export async function checkOutputFolder(dir: string): Promise<void> {
  const st = await stat(dir).catch(() => null);
  if (!st) throw new OutputFileError(dir, 'folder does not exist', 'ENOENT');
  if (!st.isDirectory()) throw new OutputFileError(dir, 'not a folder', 'ENOTDIR');
  const why = await folderProblem(dir);
  if (why) throw new OutputFileError(dir, why);
}

/**
 * Makes the finished temporary file `tmp` the file `path`: rename(2) when `overwrite`, else
 * link(2), which fails when `path` exists (whoever created it meanwhile), then removes `tmp`.
 * File systems without hard links get a check-then-rename (a narrow race remains there).
 * On failure `tmp` is left for the caller to remove.
 */
export async function publishFile(tmp: string, path: string, overwrite: boolean): Promise<void> {
  if (overwrite) {
    await rename(tmp, path);
    return;
  }
  try {
    await link(tmp, path);
  } catch (e) {
    const code = codeOf(e);
    if (code === 'EEXIST') throw new OutputFileError(path, 'file exists', 'EEXIST', { cause: e });
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
    if (existsSync(path)) throw new OutputFileError(path, 'file exists', 'EEXIST');
    await rename(tmp, path);
    return;
  }
  await unlink(tmp).catch(() => undefined);
}

export interface AtomicWriteOptions {
  /** Replace an existing file (default false: an existing file is an OutputFileError, code EEXIST). */
  overwrite?: boolean;
  /** fsync the file before publishing it (and the folder after). Default false. */
  durable?: boolean;
}

/**
 * Writes `data` to `path` all at once or not at all (see the file header). Errors are
 * OutputFileError naming `path`; an existing `path` is kept unless `overwrite`.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, opts: AtomicWriteOptions = {}): Promise<void> {
  if (!opts.overwrite && existsSync(path)) throw new OutputFileError(path, 'file exists', 'EEXIST');
  let tmp = '';
  let created = false;
  try {
    const made = await createTemporaryFile(path);
    tmp = made.tmp;
    const fh = made.fh;
    created = true;
    try {
      await fh.writeFile(data);
      if (opts.durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await publishFile(tmp, path, opts.overwrite ?? false);
    created = false;
    if (opts.durable) {
      const d = await open(dirname(resolve(path)), 'r');
      await d.sync().finally(() => d.close());
    }
  } catch (err) {
    if (created) await unlink(tmp).catch(() => undefined);
    throw outputError(path, err);
  }
}
