/**
 * Output files appear complete or not at all: the output is written under a temporary name in
 * the same folder and moved into place once finished (link(2), which fails rather than replace a
 * file that appeared meanwhile; rename(2) with --force). A failure or an interrupt removes the
 * temporary file, so no half-written output is ever left under the output's name, and an
 * existing file is only replaced with --force. The input is never the output, --force or not.
 * Temporary files are created exclusively (O_EXCL), so a file that already has a drawn name is
 * never written, replaced or removed: another name is drawn.
 */
import { closeSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { link, rename, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createTemporaryFileSync } from '@mrd-tools/core/file-output';

/**
 * Creates a new, empty temporary file beside `target` (or in the system temporary folder) and
 * returns its path and open descriptor (mrd-core's createTemporaryFileSync: created exclusively,
 * a name already in use is left alone and another one drawn).
 */
export function reserveTemporaryFile(target: string, beside = false): { tmp: string; fd: number } {
  return createTemporaryFileSync(beside ? resolve(target) : join(tmpdir(), basename(target)));
}

export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

/** Whether `a` and `b` name the same existing file (same device and inode, or same real path). */
export function sameFile(a: string, b: string): boolean {
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    try {
      return realpathSync(a) === realpathSync(b);
    } catch {
      return resolve(a) === resolve(b);
    }
  }
}

const live = new Set<string>();
let hooked = false;

/** Removes the temporary files still open when the process is interrupted. */
function hookSignals(): void {
  if (hooked) return;
  hooked = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const p of live) {
        try {
          // Synchronous: the process ends right after.
          unlinkSync(p);
        } catch {
          // already gone
        }
      }
      process.kill(process.pid, sig);
    });
  }
}

export class OutputFile {
  readonly tmp: string;
  private fd: number | null;
  private done = false;

  constructor(readonly path: string, private readonly force: boolean) {
    const { tmp, fd } = reserveTemporaryFile(path, true);
    this.tmp = tmp;
    this.fd = fd;
    live.add(this.tmp);
    hookSignals();
  }

  /** The temporary file's open descriptor, for the caller to write and close (once). */
  takeDescriptor(): number {
    const fd = this.fd;
    if (fd === null) throw new Error(`${this.tmp}: descriptor already taken`);
    this.fd = null;
    return fd;
  }

  /** Closes the descriptor if nobody took it (a writer that opens the file by name, or a failure). */
  private closeDescriptor(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }

  /** Moves the finished temporary file to the output path. */
  async commit(): Promise<void> {
    this.closeDescriptor();
    try {
      if (this.force) await rename(this.tmp, this.path);
      else {
        try {
          await link(this.tmp, this.path);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EEXIST') throw new Error(`${this.path}: file exists (use --force to replace it)`);
          if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
          // No hard links on this file system: rename (a narrow race with another writer remains).
          await rename(this.tmp, this.path);
        }
        await removeQuietly(this.tmp);
      }
      this.done = true;
    } finally {
      if (!this.done) await removeQuietly(this.tmp);
      live.delete(this.tmp);
    }
  }

  /** Drops the temporary file (after a failure). */
  async abandon(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.closeDescriptor();
    live.delete(this.tmp);
    await removeQuietly(this.tmp);
  }
}
