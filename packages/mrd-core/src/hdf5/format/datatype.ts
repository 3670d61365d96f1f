/**
 * HDF5 datatype messages (File Format Specification, "Datatype Message", type 0x0003): a small
 * model of the classes MRD files use, its encoder and a decoder for existing files.
 *
 * Versions are chosen as the HDF5 1.8/1.10 library does with its default (earliest) format
 * bounds, which is what the ISMRMRD C library and h5py write: version 1 for atomic, vlen and
 * compound types, version 2 for array types and for compounds that contain an array at any depth.
 */
import { ByteReader, ByteWriter } from './bytes.js';

export type Datatype =
  | { kind: 'int'; size: 1 | 2 | 4 | 8; signed: boolean }
  | { kind: 'float'; size: 4 | 8 }
  | { kind: 'vlen-string'; cset: 'ascii' | 'utf8' }
  | { kind: 'vlen'; base: Datatype }
  | { kind: 'array'; dims: number[]; base: Datatype }
  | { kind: 'compound'; size: number; members: CompoundMember[] }
  | { kind: 'fixed-string'; size: number; cset: 'ascii' | 'utf8'; pad: number }
  | { kind: 'other'; size: number; classId: number };

export interface CompoundMember {
  name: string;
  offset: number;
  type: Datatype;
}

/** On-disk size of a vlen element (sequence length u32 + global heap id: address + index u32). */
const VLEN_DISK_SIZE = 16;

export const u8: Datatype = { kind: 'int', size: 1, signed: false };
export const u16: Datatype = { kind: 'int', size: 2, signed: false };
export const i16: Datatype = { kind: 'int', size: 2, signed: true };
export const u32: Datatype = { kind: 'int', size: 4, signed: false };
export const i32: Datatype = { kind: 'int', size: 4, signed: true };
export const u64: Datatype = { kind: 'int', size: 8, signed: false };
export const f32: Datatype = { kind: 'float', size: 4 };
export const f64: Datatype = { kind: 'float', size: 8 };

export function arrayOf(base: Datatype, ...dims: number[]): Datatype {
  return { kind: 'array', dims, base };
}

/** A packed compound from an ordered member list (offsets follow one another). */
export function packedCompound(members: Array<[string, Datatype]>): Datatype {
  let offset = 0;
  const out: CompoundMember[] = [];
  for (const [name, type] of members) {
    out.push({ name, offset, type });
    offset += datatypeSize(type);
  }
  return { kind: 'compound', size: offset, members: out };
}

export function datatypeSize(t: Datatype): number {
  switch (t.kind) {
    case 'int':
    case 'float':
      return t.size;
    case 'vlen-string':
    case 'vlen':
      return VLEN_DISK_SIZE;
    case 'array':
      return t.dims.reduce((a, b) => a * b, 1) * datatypeSize(t.base);
    case 'compound':
    case 'fixed-string':
    case 'other':
      return t.size;
  }
}

function version(t: Datatype): number {
  if (t.kind === 'array') return 2;
  if (t.kind === 'compound') return Math.max(1, ...t.members.map((m) => version(m.type)));
  return 1;
}

const CLASS_ID: Record<string, number> = { int: 0, float: 1, 'fixed-string': 3, compound: 6, 'vlen-string': 9, vlen: 9, array: 10 };

/** Encodes a datatype message body. */
export function encodeDatatype(t: Datatype, w = new ByteWriter()): ByteWriter {
  if (t.kind === 'other') throw new Error(`cannot encode an unsupported datatype (class ${t.classId})`);
  const v = version(t);
  w.u8((v << 4) | CLASS_ID[t.kind]);
  switch (t.kind) {
    case 'int':
      w.u8(t.signed ? 0x08 : 0).u8(0).u8(0).u32(t.size);
      w.u16(0).u16(t.size * 8);
      break;
    case 'float':
      if (t.size === 4) {
        w.u8(0x20).u8(31).u8(0).u32(4);
        w.u16(0).u16(32).u8(23).u8(8).u8(0).u8(23).u32(127);
      } else {
        w.u8(0x20).u8(63).u8(0).u32(8);
        w.u16(0).u16(64).u8(52).u8(11).u8(0).u8(52).u32(1023);
      }
      break;
    case 'fixed-string':
      w.u8((t.pad & 0x0f) | ((t.cset === 'utf8' ? 1 : 0) << 4)).u8(0).u8(0).u32(t.size);
      break;
    case 'vlen-string':
      // type 1 = string, padding 0 = null terminated, character set in bits 8-11
      w.u8(0x01).u8(t.cset === 'utf8' ? 1 : 0).u8(0).u32(VLEN_DISK_SIZE);
      encodeDatatype(u8, w);
      break;
    case 'vlen':
      w.u8(0).u8(0).u8(0).u32(VLEN_DISK_SIZE);
      encodeDatatype(t.base, w);
      break;
    case 'array':
      w.u8(0).u8(0).u8(0).u32(datatypeSize(t));
      w.u8(t.dims.length).zeros(3);
      for (const d of t.dims) w.u32(d);
      for (let i = 0; i < t.dims.length; i++) w.u32(i);
      encodeDatatype(t.base, w);
      break;
    case 'compound': {
      const n = t.members.length;
      w.u8(n & 0xff).u8((n >> 8) & 0xff).u8(0).u32(t.size);
      const enc = new TextEncoder();
      for (const m of t.members) {
        const name = enc.encode(m.name);
        const padded = Math.ceil((name.length + 1) / 8) * 8;
        w.bytes(name).zeros(padded - name.length);
        w.u32(m.offset);
        if (v === 1) w.u8(0).zeros(3).u32(0).u32(0).zeros(16);
        encodeDatatype(m.type, w);
      }
      break;
    }
  }
  return w;
}

/** Decodes a datatype message body starting at the reader's position. */
export function decodeDatatype(r: ByteReader): Datatype {
  const cv = r.u8();
  const cls = cv & 0x0f;
  const v = cv >> 4;
  const b0 = r.u8();
  const b1 = r.u8();
  r.u8();
  const size = r.u32();
  switch (cls) {
    case 0: {
      r.u16();
      r.u16();
      if (b0 & 1) return { kind: 'other', size, classId: cls }; // big endian
      return { kind: 'int', size: size as 1 | 2 | 4 | 8, signed: (b0 & 0x08) !== 0 };
    }
    case 1: {
      r.skip(12);
      if (b0 & 1) return { kind: 'other', size, classId: cls };
      return { kind: 'float', size: size as 4 | 8 };
    }
    case 3:
      return { kind: 'fixed-string', size, pad: b0 & 0x0f, cset: (b0 >> 4) & 0x0f ? 'utf8' : 'ascii' };
    case 6: {
      const n = b0 | (b1 << 8);
      const members: CompoundMember[] = [];
      for (let i = 0; i < n; i++) {
        const start = r.pos;
        const name = r.cstring();
        if (v < 3) r.pos = start + Math.ceil((r.pos - start) / 8) * 8;
        let offset: number;
        if (v >= 3) {
          const nb = size < 256 ? 1 : size < 65536 ? 2 : size < 16777216 ? 3 : 4;
          offset = 0;
          for (let k = 0; k < nb; k++) offset |= r.u8() << (8 * k);
        } else offset = r.u32();
        let dims: number[] = [];
        if (v === 1) {
          const nd = r.u8();
          r.skip(3 + 4 + 4);
          const all = [r.u32(), r.u32(), r.u32(), r.u32()];
          dims = all.slice(0, nd);
        }
        let type = decodeDatatype(r);
        if (dims.length) type = { kind: 'array', dims, base: type };
        members.push({ name, offset, type });
      }
      return { kind: 'compound', size, members };
    }
    case 9: {
      const base = decodeDatatype(r);
      if ((b0 & 0x0f) === 1) return { kind: 'vlen-string', cset: (b1 & 0x0f) === 1 ? 'utf8' : 'ascii' };
      return { kind: 'vlen', base };
    }
    case 10: {
      const nd = r.u8();
      if (v < 3) r.skip(3);
      const dims: number[] = [];
      for (let i = 0; i < nd; i++) dims.push(r.u32());
      if (v < 3) r.skip(4 * nd);
      return { kind: 'array', dims, base: decodeDatatype(r) };
    }
    default:
      // Skip what we cannot model: the caller only needs the size, and never re-encodes it.
      return { kind: 'other', size, classId: cls };
  }
}

/** Structural equality (names, offsets, sizes, classes, array shapes, vlen bases). */
export function sameDatatype(a: Datatype, b: Datatype): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'int':
      return a.size === (b as typeof a).size && a.signed === (b as typeof a).signed;
    case 'float':
      return a.size === (b as typeof a).size;
    case 'vlen-string':
      return true;
    case 'vlen':
      return sameDatatype(a.base, (b as typeof a).base);
    case 'array': {
      const o = b as typeof a;
      return a.dims.length === o.dims.length && a.dims.every((d, i) => d === o.dims[i]) && sameDatatype(a.base, o.base);
    }
    case 'compound': {
      const o = b as typeof a;
      return (
        a.size === o.size &&
        a.members.length === o.members.length &&
        a.members.every((m, i) => m.name === o.members[i].name && m.offset === o.members[i].offset && sameDatatype(m.type, o.members[i].type))
      );
    }
    case 'fixed-string':
      return a.size === (b as typeof a).size;
    case 'other':
      return false;
  }
}

/** Short human description, for error messages. */
export function describeDatatype(t: Datatype): string {
  switch (t.kind) {
    case 'int':
      return `${t.signed ? 'i' : 'u'}${t.size * 8}`;
    case 'float':
      return `f${t.size * 8}`;
    case 'vlen-string':
      return `vlen string (${t.cset})`;
    case 'vlen':
      return `vlen ${describeDatatype(t.base)}`;
    case 'array':
      return `${describeDatatype(t.base)}[${t.dims.join(',')}]`;
    case 'compound':
      return `compound {${t.members.map((m) => m.name).join(', ')}}`;
    case 'fixed-string':
      return `string[${t.size}]`;
    case 'other':
      return `class ${t.classId}`;
  }
}
