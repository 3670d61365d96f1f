/**
 * The DICOM files of a folder tree: names ending `.dcm` or `.ima` in any case (as the reference)
 * and, beyond the reference, any other file that starts with the DICOM preamble (`DICM` at byte
 * 128), since many real exports have no extension. Paths are returned sorted, so results do not
 * depend on directory order.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

const EXT = /\.(dcm|ima)$/i;

async function hasPreamble(path: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'r');
    const buf = Buffer.alloc(4);
    const { bytesRead } = await fh.read(buf, 0, 4, 128);
    return bytesRead === 4 && buf.toString('latin1') === 'DICM';
  } catch {
    return false;
  } finally {
    await fh?.close();
  }
}

export async function findDicomFiles(folder: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      const p = join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const s = await stat(p);
          // Symbolic links to files are followed; links to folders are not (no loops).
          isFile = s.isFile();
        } catch {
          continue;
        }
      }
      if (isDir) await walk(p);
      else if (isFile && (EXT.test(e.name) || (await hasPreamble(p)))) out.push(p);
    }
  }
  await walk(folder);
  return out.sort();
}
