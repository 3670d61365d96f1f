/**
 * In-process stand-ins for a full disk and a read-only folder, for tests of how tools fail when
 * they cannot write. A real small tmpfs (`mount -t tmpfs -o size=512k`) or a read-only remount
 * needs root; these need nothing: they wrap Node's file-system calls (fs/promises and the sync
 * calls the tools use; `syncBuiltinESMExports` makes ES-module imports see the wrappers too) so
 * that, for paths under `folder`:
 * - full disk: writes fail with ENOSPC once `capacity` bytes have been written there (a write
 *   that does not fit writes nothing), as a nearly full file system does;
 * - read-only: creating, writing, renaming, linking or removing fails with EROFS, `access(W_OK)`
 *   says EROFS, and a recursive mkdir fails with ENOENT as Node reports it on a read-only mount.
 * `uninstall()` restores the real functions.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { resolve, sep } from 'node:path';

type AnyFn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

const require = createRequire(import.meta.url);
const fs = require('node:fs') as Record<string, AnyFn> & { promises: Record<string, AnyFn>; constants: Record<string, number> };
const fsp = require('node:fs/promises') as Record<string, AnyFn>;

export interface SimulatedDisk {
  /** Bytes written under the folder since install (full disk). */
  readonly written: number;
  uninstall(): void;
}

function errno(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const text: Record<string, string> = { ENOSPC: 'no space left on device', EROFS: 'read-only file system', ENOENT: 'no such file or directory' };
  const e = new Error(`${code}: ${text[code] ?? code}, ${syscall} '${path}'`) as NodeJS.ErrnoException;
  e.code = code;
  e.syscall = syscall;
  e.path = path;
  return e;
}

function writes(flags: unknown): boolean {
  if (flags === undefined || flags === null) return false;
  if (typeof flags === 'number') return (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT)) !== 0;
  return /[wax+]/.test(String(flags));
}

function byteLength(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

interface Patch {
  target: Record<string, AnyFn>;
  name: string;
  original: AnyFn;
}

function install(folder: string, mode: { kind: 'full'; capacity: number } | { kind: 'readonly' }): SimulatedDisk {
  const root = resolve(folder);
  const under = (p: unknown): boolean => {
    if (typeof p !== 'string' && !(p instanceof URL) && !Buffer.isBuffer(p)) return false;
    const abs = resolve(p instanceof URL ? p.pathname : String(p));
    return abs === root || abs.startsWith(root + sep);
  };
  const patches: Patch[] = [];
  const patch = (target: Record<string, AnyFn>, name: string, wrap: (original: AnyFn) => AnyFn) => {
    const original = target[name];
    patches.push({ target, name, original });
    target[name] = wrap(original);
  };
  let written = 0;
  const handlePaths = new WeakMap<object, string>();
  const charge = (n: number, syscall: string, path: string) => {
    if (mode.kind !== 'full') return;
    if (written + n > mode.capacity) throw errno('ENOSPC', syscall, path);
    written += n;
  };
  const readonly = mode.kind === 'readonly';

  // fs/promises
  patch(fsp, 'open', (orig) => async (path: string, flags?: unknown, m?: unknown) => {
    if (readonly && under(path) && writes(flags)) throw errno('EROFS', 'open', String(path));
    const fh = await orig(path, flags, m);
    if (under(path)) handlePaths.set(fh, String(path));
    return fh;
  });
  for (const name of ['writeFile', 'appendFile'] as const) {
    patch(fsp, name, (orig) => async (path: unknown, data: unknown, o?: unknown) => {
      if (under(path)) {
        if (readonly) throw errno('EROFS', 'open', String(path));
        charge(byteLength(data), 'write', String(path));
      }
      return orig(path, data, o);
    });
  }
  if (readonly) {
    patch(fsp, 'mkdir', (orig) => async (path: unknown, o?: { recursive?: boolean }) => {
      if (under(path)) throw errno(o?.recursive ? 'ENOENT' : 'EROFS', 'mkdir', String(path));
      return orig(path, o);
    });
    for (const name of ['rename', 'link'] as const) {
      patch(fsp, name, (orig) => async (a: unknown, b: unknown) => {
        if (under(a) || under(b)) throw errno('EROFS', name, String(b));
        return orig(a, b);
      });
    }
    for (const name of ['unlink', 'truncate', 'rm'] as const) {
      patch(fsp, name, (orig) => async (path: unknown, ...rest: unknown[]) => {
        if (under(path)) throw errno('EROFS', name, String(path));
        return orig(path, ...rest);
      });
    }
    patch(fsp, 'access', (orig) => async (path: unknown, m?: number) => {
      if (under(path) && m !== undefined && (m & fs.constants.W_OK)) throw errno('EROFS', 'access', String(path));
      return orig(path, m);
    });
  }

  // sync calls the tools use
  patch(fs, 'writeFileSync', (orig) => (path: unknown, data: unknown, o?: unknown) => {
    if (under(path)) {
      if (readonly) throw errno('EROFS', 'open', String(path));
      charge(byteLength(data), 'write', String(path));
    }
    return orig(path, data, o);
  });
  patch(fs, 'appendFileSync', (orig) => (path: unknown, data: unknown, o?: unknown) => {
    if (under(path)) {
      if (readonly) throw errno('EROFS', 'open', String(path));
      charge(byteLength(data), 'write', String(path));
    }
    return orig(path, data, o);
  });
  if (readonly) {
    patch(fs, 'mkdirSync', (orig) => (path: unknown, o?: { recursive?: boolean }) => {
      if (under(path)) throw errno(o?.recursive ? 'ENOENT' : 'EROFS', 'mkdir', String(path));
      return orig(path, o);
    });
    patch(fs, 'openSync', (orig) => (path: unknown, flags?: unknown, m?: unknown) => {
      if (under(path) && writes(flags)) throw errno('EROFS', 'open', String(path));
      return orig(path, flags, m);
    });
    patch(fs, 'renameSync', (orig) => (a: unknown, b: unknown) => {
      if (under(a) || under(b)) throw errno('EROFS', 'rename', String(b));
      return orig(a, b);
    });
    patch(fs, 'accessSync', (orig) => (path: unknown, m?: number) => {
      if (under(path) && m !== undefined && (m & fs.constants.W_OK)) throw errno('EROFS', 'access', String(path));
      return orig(path, m);
    });
  }
  syncBuiltinESMExports();

  // FileHandle.prototype: patched once a handle exists (the class is not exported)
  let handleProto: Record<string, AnyFn> | undefined;
  const patchHandles = (fh: object) => {
    if (handleProto) return;
    handleProto = Object.getPrototypeOf(fh) as Record<string, AnyFn>;
    patch(handleProto, 'write', (orig) => function (this: object, data: unknown, ...rest: unknown[]) {
      const p = handlePaths.get(this);
      if (p !== undefined) {
        // write(buffer, offset, length, position) or write(string, position, encoding)
        const n = ArrayBuffer.isView(data) && typeof rest[1] === 'number' ? (rest[1] as number) : byteLength(data);
        try {
          charge(n, 'write', p);
        } catch (e) {
          return Promise.reject(e);
        }
      }
      return orig.call(this, data, ...rest);
    });
    patch(handleProto, 'writev', (orig) => function (this: object, buffers: ArrayBufferView[], ...rest: unknown[]) {
      const p = handlePaths.get(this);
      if (p !== undefined) {
        try {
          charge(buffers.reduce((a, b) => a + b.byteLength, 0), 'write', p);
        } catch (e) {
          return Promise.reject(e);
        }
      }
      return orig.call(this, buffers, ...rest);
    });
    patch(handleProto, 'writeFile', (orig) => function (this: object, data: unknown, ...rest: unknown[]) {
      const p = handlePaths.get(this);
      if (p !== undefined) {
        try {
          charge(byteLength(data), 'write', p);
        } catch (e) {
          return Promise.reject(e);
        }
      }
      return orig.call(this, data, ...rest);
    });
  };
  const openPatched = fsp.open;
  fsp.open = async (...args: unknown[]) => {
    const fh = await openPatched(...args);
    patchHandles(fh);
    return fh;
  };
  patches.push({ target: fsp, name: 'open', original: openPatched });
  syncBuiltinESMExports();

  return {
    get written() {
      return written;
    },
    uninstall() {
      for (const p of patches.reverse()) p.target[p.name] = p.original;
      patches.length = 0;
      syncBuiltinESMExports();
    },
  };
}

/** Writes under `folder` fail with ENOSPC once `capacity` bytes have been written there. */
export function simulateFullDisk(folder: string, capacity: number): SimulatedDisk {
  return install(folder, { kind: 'full', capacity });
}

/** `folder` (and everything under it) behaves as a read-only mount. */
export function simulateReadOnlyFolder(folder: string): SimulatedDisk {
  return install(folder, { kind: 'readonly' });
}
