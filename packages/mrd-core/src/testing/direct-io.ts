/**
 * A stand-in for direct (O_DIRECT) file access, for the tests of direct reads (hdf5/reader's
 * DirectRing, mrd-client's reader of a cold input): `directIoFs(fs, io)` gives node:fs with
 * openSync, readSync, read and closeSync wrapped for descriptors opened with O_DIRECT, so that a
 * test can refuse them (EINVAL at the open, or on every synchronous read: no aligned offset),
 * fail the reads from a file offset on (EIO), and see the reads started and in flight and the
 * descriptors closed. Reads come back a moment late (a timer), as a disk's do. Every other call
 * goes to `fs`. For `vi.mock('node:fs', ...)`: import this file alone there (it imports nothing).
 */
import type * as Fs from 'node:fs';

export interface DirectIo {
  /** O_DIRECT opens fail with EINVAL */
  refuseOpen: boolean;
  /** synchronous reads of O_DIRECT descriptors fail with EINVAL (the alignment probe) */
  refuseAll: boolean;
  /** reads of O_DIRECT descriptors at or after this offset fail with EIO (-1: none) */
  failReadsFrom: number;
  /** the O_DIRECT descriptors open */
  fds: Set<number>;
  inFlight: number;
  started: number;
  /** the O_DIRECT descriptors closed, in order */
  closed: number[];
}

function errno(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

export function directIoFs(fs: typeof Fs, io: DirectIo): typeof Fs {
  const O_DIRECT = fs.constants.O_DIRECT ?? 0;
  const openSync = ((path: string, flags: string | number, mode?: number) => {
    if (typeof flags !== 'number' || !O_DIRECT || !(flags & O_DIRECT)) return fs.openSync(path, flags, mode);
    if (io.refuseOpen) throw errno('EINVAL', 'invalid argument, open');
    const fd = fs.openSync(path, flags, mode);
    io.fds.add(fd);
    return fd;
  }) as typeof fs.openSync;
  const readSync = ((fd: number, ...rest: unknown[]) => {
    if (io.fds.has(fd) && io.refuseAll) throw errno('EINVAL', 'invalid argument, read');
    return (fs.readSync as (...a: unknown[]) => number)(fd, ...rest);
  }) as typeof fs.readSync;
  const read = ((fd: number, buf: Uint8Array, off: number, len: number, pos: number, cb: (err: NodeJS.ErrnoException | null, n: number) => void) => {
    if (!io.fds.has(fd)) return (fs.read as (...a: unknown[]) => void)(fd, buf, off, len, pos, cb);
    io.started++;
    io.inFlight++;
    const done = (err: NodeJS.ErrnoException | null, n: number) => {
      io.inFlight--;
      cb(err, n);
    };
    if (io.failReadsFrom >= 0 && pos >= io.failReadsFrom) {
      setTimeout(() => done(errno('EIO', 'i/o error, read'), 0), 5);
      return;
    }
    fs.read(fd, buf, off, len, pos, (err, n) => setTimeout(() => done(err, n), 1));
  }) as typeof fs.read;
  const closeSync = (fd: number) => {
    if (io.fds.delete(fd)) io.closed.push(fd);
    fs.closeSync(fd);
  };
  return { ...fs, openSync, readSync, read, closeSync };
}
