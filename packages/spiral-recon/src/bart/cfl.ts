/**
 * BART's .cfl/.hdr array files: `<name>.hdr` is text ("# Dimensions" then the dimensions separated
 * by spaces, as many as BART's 16 or fewer), `<name>.cfl` the raw complex float32 values,
 * little-endian, column-major (first dimension fastest). Hand-written: the format is two short
 * files and no maintained npm package reads it.
 */
import { readFile, writeFile } from 'node:fs/promises';

const BART_DIMS = 16;

export interface CflArray {
  /** dimensions, first = fastest (BART/Fortran order) */
  dims: number[];
  /** complex values interleaved re/im, first dimension fastest */
  data: Float32Array;
}

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Writes `<base>.hdr` and `<base>.cfl` (dims padded with 1s to 16). */
export async function writeCfl(base: string, dims: readonly number[], data: Float32Array): Promise<void> {
  if (dims.length > BART_DIMS) throw new Error(`cfl ${base}: ${dims.length} dimensions, BART has ${BART_DIMS}`);
  for (const d of dims) if (!Number.isInteger(d) || d < 1) throw new Error(`cfl ${base}: invalid dimension ${d}`);
  const n = product(dims);
  if (data.length !== 2 * n) throw new Error(`cfl ${base}: ${data.length / 2} values for dimensions ${dims.join('x')}`);
  const full = [...dims];
  while (full.length < BART_DIMS) full.push(1);
  await writeFile(`${base}.hdr`, `# Dimensions\n${full.join(' ')} \n`);
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('cfl: big-endian hosts are not supported');
  await writeFile(`${base}.cfl`, bytes);
}

/** Parses the text of a .hdr file; throws naming the file on a malformed header. */
export function parseCflHeader(text: string, name = 'header'): number[] {
  const lines = text.split(/\r?\n/);
  const i = lines.findIndex((l) => l.trim() === '# Dimensions');
  if (i < 0 || i + 1 >= lines.length) throw new Error(`cfl ${name}: no "# Dimensions" line`);
  const dims = lines[i + 1].trim().split(/\s+/).filter((s) => s.length > 0).map(Number);
  if (dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`cfl ${name}: bad dimensions line "${lines[i + 1]}"`);
  return dims;
}

/** Reads `<base>.hdr` and `<base>.cfl`; trailing singleton dimensions are dropped (at least one kept). */
export async function readCfl(base: string): Promise<CflArray> {
  const dims = parseCflHeader(await readFile(`${base}.hdr`, 'utf8'), `${base}.hdr`);
  while (dims.length > 1 && dims[dims.length - 1] === 1) dims.pop();
  const n = product(dims);
  const buf = await readFile(`${base}.cfl`);
  if (buf.byteLength !== 8 * n) throw new Error(`cfl ${base}.cfl: ${buf.byteLength} bytes, the header's ${dims.join('x')} needs ${8 * n}`);
  const data = new Float32Array(2 * n);
  new Uint8Array(data.buffer).set(buf);
  return { dims, data };
}
