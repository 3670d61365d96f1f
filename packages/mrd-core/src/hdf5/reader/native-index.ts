/**
 * What a sender needs to know about an MRD file before streaming it (its groups, a group's
 * members, the `xml` / `configAdditional` texts, record counts, image series) and its
 * acquisitions as wire bytes, read with mrd-core's own HDF5 format decoders (../format), without
 * loading h5wasm: the client's input reader answers its first questions in a few milliseconds
 * instead of the 0.3-0.5 s the HDF5 runtime takes to load.
 *
 * Only the layouts FixedParts handles are read (superblock 0-3, object headers v1/v2, symbol
 * table or compact-link groups without creation-order tracking, hard links only, layout message
 * v3: contiguous, compact or v1-B-tree chunked, no filters, unshared datatypes). Every question
 * answers null for anything else (or anything unexpected: a decoder error), and the caller asks
 * MrdFile (h5wasm) instead: this is an optimisation, never a second source of truth. Answers
 * follow MrdFile's rules: members in h5wasm's `keys()` order (byte-wise by name), texts as
 * `readText` reads them, image series as `imageSeries` picks them.
 */
import { closeSync, openSync } from 'node:fs';
import { ByteReader, UNDEF_ADDR } from '../format/bytes.js';
import { decodeChunkKey } from '../format/chunk-index.js';
import { decodeDatatype, type Datatype } from '../format/datatype.js';
import {
  decodeDataspace,
  decodeLayout,
  decodeLink,
  decodeLinkInfo,
  decodeStab,
  MSG_DATASPACE,
  MSG_DATATYPE,
  MSG_FILTERS,
  MSG_FLAG_SHARED,
  MSG_LAYOUT,
  MSG_LINK,
  MSG_LINK_INFO,
  MSG_STAB,
  readObjectHeader,
  type HeaderMessage,
  type ReadAt,
} from '../format/object-header.js';
import { compareNames, readBtreeNode, readSymbolTable } from '../format/symbol-table.js';
import type { AcquisitionHeader } from '../../headers/types.js';
// The acquisitions' reader (and their header decoder where headers are decoded) is loaded by
// `acquisitionWireReader` when first asked for: the questions before it (groups, members,
// counts, layout) load only the decoders.
import type { AcquisitionWireReader } from './acquisition-wire.js';
import { FixedParts, findSuperblock, positionedReader } from './fixed-parts.js';
import { H5T, type Metadata } from './h5wasm-runtime.js';
import type { RecordDecoder } from './record-layout.js';

/** A member of a group: its name and what it is (as MrdFile's `kind` sees it). */
export interface NativeMember {
  name: string;
  kind: 'group' | 'dataset' | 'other';
}

type Link = { name: string; addr: number };
type Node =
  /** `links` is null for a group whose links are not read here (soft links, dense storage, ...) */
  | { kind: 'group'; links: Link[] | null }
  | { kind: 'dataset'; messages: HeaderMessage[] }
  | { kind: 'other' };

/** Not handled here: the caller falls back to HDF5. */
class Unhandled extends Error {}

const TEXT_NAMES = new Set(['xml', 'config_file', 'config', 'configAdditional']);
const utf8 = new TextDecoder('utf-8');

export class NativeMrdIndex {
  private readonly nodes = new Map<number, Promise<Node>>();
  /** Fixed-part readers of the wire readers handed out (closed with the index). */
  private readonly opened: FixedParts[] = [];
  private rootGroups: string[] = [];
  private closed = false;

  private constructor(
    /** The path as the caller gave it. */
    readonly path: string,
    private readonly fd: number,
    private readonly read: ReadAt,
    private readonly rootAddr: number,
  ) {}

  /** Opens `path`, or returns null when it is not a file these decoders read (then use MrdFile). */
  static async open(path: string): Promise<NativeMrdIndex | null> {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return null;
    }
    try {
      const raw = positionedReader(fd, path);
      const sb = findSuperblock(raw, path);
      if (!sb) throw new Unhandled('no superblock');
      const base = sb.position;
      const index = new NativeMrdIndex(path, fd, async (addr, n) => raw(base + addr, n), sb.root.objectHeaderAddr);
      const root = await index.members('/');
      if (!root) throw new Unhandled('root group');
      index.rootGroups = root.filter((m) => m.kind === 'group').map((m) => m.name);
      return index;
    } catch {
      closeSync(fd);
      return null;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    for (const fp of this.opened.splice(0)) fp.close();
  }

  /** Names of the top-level groups, as `MrdFile.groups()`. */
  groups(): string[] {
    return [...this.rootGroups];
  }

  /** The members of the group at `path` in `MrdFile.list` order, or null when not handled here (absent, not a group, or a layout these decoders skip). */
  async members(path: string): Promise<NativeMember[] | null> {
    return this.attempt(async () => {
      const node = await this.resolve(path);
      if (!node || node.kind !== 'group') return null;
      const out: NativeMember[] = [];
      for (const l of linksOf(node)) out.push({ name: l.name, kind: (await this.node(l.addr)).kind });
      return out;
    });
  }

  /**
   * The text dataset `name` of a group as `MrdFile.readText` reads it (undefined when the group
   * has no such member), or null when not handled here.
   */
  async readText(group: string, name: string): Promise<string | undefined | null> {
    return this.attempt(async () => {
      const node = await this.datasetMember(group, name);
      if (!node) return node;
      const { type, dims, messages } = this.dataset(node);
      const n = dims.reduce((a, b) => a * b, 1);
      if (n === 0) return TEXT_NAMES.has(name) ? '' : null;
      if (type.kind === 'vlen-string') {
        const el = await this.firstElement(messages, 16, dims.length);
        const dv = new DataView(el.buffer, el.byteOffset, el.byteLength);
        const len = dv.getUint32(0, true);
        if (len === 0) return '';
        const coll = dv.getUint32(4, true) + dv.getUint32(8, true) * 4294967296;
        const bytes = await this.globalHeapObject(coll, dv.getUint32(12, true));
        if (bytes.length !== len) throw new Unhandled('vlen string length');
        const z = bytes.indexOf(0);
        return utf8.decode(z < 0 ? bytes : bytes.subarray(0, z));
      }
      if (type.kind === 'fixed-string') {
        const s = await this.firstElement(messages, type.size, dims.length);
        const z = s.indexOf(0);
        return utf8.decode(z < 0 ? s : s.subarray(0, z));
      }
      return null;
    });
  }

  /**
   * The first dimension of the dataset `name` of a group (`MrdFile.acquisitionCount` and
   * `waveformCount` read it), undefined when the group has no such member, null when not
   * handled here (including a scalar, which MrdFile reports as an error).
   */
  async rows(group: string, name: string): Promise<number | undefined | null> {
    return this.attempt(async () => {
      const node = await this.datasetMember(group, name);
      if (!node) return node;
      const { dims } = this.dataset(node);
      return dims.length === 0 ? null : dims[0]!;
    });
  }

  /**
   * How many records one chunk of the dataset `name` of a group holds (its layout's first chunk
   * dimension; 0 when it is not chunked), or null when not handled here (no such dataset
   * included). From the dataset's object header alone: no chunk index is walked.
   */
  async rowsPerChunk(group: string, name: string): Promise<number | null> {
    return this.attempt(async () => {
      const node = await this.datasetMember(group, name);
      if (!node) return null;
      const lm = node.messages.find((m) => m.type === MSG_LAYOUT);
      if (!lm) return null;
      const layout = decodeLayout(lm.body, this.path);
      return layout.kind === 'chunked' ? (layout.chunkDims[0] ?? null) : 0;
    });
  }

  /** The image series of a group by `MrdFile.imageSeries`' rule (`image_*` / `images_*` groups holding datasets `header` and `data`), or null. */
  async imageSeries(group: string): Promise<string[] | null> {
    return this.attempt(async () => {
      const g = await this.resolve(`/${group}`);
      if (!g || g.kind !== 'group') return null;
      const out: string[] = [];
      for (const l of linksOf(g)) {
        if (!/^images?_/.test(l.name)) continue;
        const s = await this.node(l.addr);
        if (s.kind !== 'group') continue;
        const kindOf = async (name: string) => {
          const c = linksOf(s).find((x) => x.name === name);
          return c ? (await this.node(c.addr)).kind : undefined;
        };
        if ((await kindOf('header')) === 'dataset' && (await kindOf('data')) === 'dataset') out.push(l.name);
      }
      return out;
    });
  }

  /**
   * The acquisitions of a group as wire bytes (as `MrdFile.acquisitionWireReader`), with the
   * header decoder compiled from the file's own datatype of `head` where headers are decoded (a
   * head stored in the wire layout is copied, and neither the decoder nor its module is loaded),
   * or null when not handled here (then ask MrdFile: it reports malformed datasets). Valid until
   * the index is closed.
   */
  async acquisitionWireReader(group: string): Promise<AcquisitionWireReader | null> {
    return this.attempt(async () => {
      const g = await this.resolve(`/${group}`);
      if (!g || g.kind !== 'group') return null;
      const link = linksOf(g).find((l) => l.name === 'data');
      if (!link) return null;
      const node = await this.node(link.addr);
      if (node.kind !== 'dataset') return null;
      const { type, dims } = this.dataset(node);
      if (type.kind !== 'compound' || dims.length === 0) return null;
      const head = type.members.find((m) => m.name === 'head');
      const md = head ? metadataOf(head.type) : null;
      if (!md) return null;
      const { AcquisitionWireReader, acquisitionHeadIsWireLayout } = await import('./acquisition-wire.js');
      // the header decoder (record-layout.ts, compiled for this datatype) only where headers are
      // decoded: a head stored in the wire layout (the C library's, h5py's) is copied as it is
      let decoder: RecordDecoder<AcquisitionHeader> | null = null;
      if (!acquisitionHeadIsWireLayout(head!.type)) {
        const { acquisitionHeaderDecoder } = await import('./record-layout.js');
        try {
          decoder = acquisitionHeaderDecoder(md);
        } catch {
          return null;
        }
      }
      const fp = await FixedParts.open(this.path, `/${group}/data`);
      if (!fp) return null;
      // the file type decodes as itself: same layout by construction where metadataOf accepted it
      const wire = fp.rows === dims[0] ? AcquisitionWireReader.create(fp, decoder, fp.sameLayout('head', md), `${this.path}: /${group}/data`) : null;
      if (!wire) fp.close();
      else this.opened.push(fp);
      return wire;
    });
  }

  // ---------------------------------------------------------------- structure

  private async attempt<T>(f: () => Promise<T | null>): Promise<T | null> {
    if (this.closed) return null;
    try {
      return await f();
    } catch {
      return null;
    }
  }

  /**
   * The dataset `name` of a group: undefined when the group has no such member, null when the
   * group is absent or the member is not a dataset (MrdFile then answers).
   */
  private async datasetMember(group: string, name: string): Promise<(Node & { kind: 'dataset' }) | undefined | null> {
    const g = await this.resolve(`/${group}`);
    if (!g || g.kind !== 'group') return null;
    const link = linksOf(g).find((l) => l.name === name);
    if (!link) return undefined;
    const node = await this.node(link.addr);
    return node.kind === 'dataset' ? node : null;
  }

  /** The node at an absolute object path, or null when absent. */
  private async resolve(path: string): Promise<Node | null> {
    let node = await this.node(this.rootAddr);
    for (const name of path.split('/').filter(Boolean)) {
      if (node.kind !== 'group') return null;
      const l = linksOf(node).find((x) => x.name === name);
      if (!l) return null;
      node = await this.node(l.addr);
    }
    return node;
  }

  private node(addr: number): Promise<Node> {
    let n = this.nodes.get(addr);
    if (!n) {
      n = this.loadNode(addr);
      this.nodes.set(addr, n);
    }
    return n;
  }

  private async loadNode(addr: number): Promise<Node> {
    const what = `${this.path}@${addr}`;
    const oh = await readObjectHeader(this.read, addr, what);
    const stab = oh.messages.find((m) => m.type === MSG_STAB);
    if (stab) {
      const s = decodeStab(stab.body, what);
      const entries = await readSymbolTable(this.read, s.btreeAddr, s.heapAddr, what);
      // soft links (cache type 2) resolve through paths: HDF5's business
      if (entries.some((e) => e.cacheType === 2 || e.objectHeaderAddr === UNDEF_ADDR)) return { kind: 'group', links: null };
      return { kind: 'group', links: sortLinks(entries.map((e) => ({ name: e.name, addr: e.objectHeaderAddr }))) };
    }
    const li = oh.messages.find((m) => m.type === MSG_LINK_INFO);
    if (li) {
      const info = decodeLinkInfo(li.body, what);
      // dense storage: fractal heap; creation order: h5wasm may list in that order
      if (info.dense || info.creationOrderTracked) return { kind: 'group', links: null };
      const links: Link[] = [];
      for (const m of oh.messages) {
        if (m.type !== MSG_LINK) continue;
        const link = decodeLink(m.body, what);
        if (link.hardAddr === undefined || link.hardAddr === UNDEF_ADDR) return { kind: 'group', links: null };
        links.push({ name: link.name, addr: link.hardAddr });
      }
      return { kind: 'group', links: sortLinks(links) };
    }
    if (oh.messages.some((m) => m.type === MSG_LINK)) throw new Unhandled('links without link info');
    const has = (t: number) => oh.messages.some((m) => m.type === t);
    if (has(MSG_DATATYPE) && has(MSG_DATASPACE) && has(MSG_LAYOUT)) return { kind: 'dataset', messages: oh.messages };
    return { kind: 'other' };
  }

  /** Datatype and dimensions of a dataset; throws Unhandled for shared types, null dataspaces, filters. */
  private dataset(node: { messages: HeaderMessage[] }): { type: Datatype; dims: number[]; messages: HeaderMessage[] } {
    const get = (t: number) => node.messages.find((m) => m.type === t)!;
    const dtm = get(MSG_DATATYPE);
    const dsm = get(MSG_DATASPACE);
    if (dtm.flags & MSG_FLAG_SHARED || dsm.flags & MSG_FLAG_SHARED) throw new Unhandled('shared message');
    // dataspace version 2, type 2: a null dataspace (no elements at all, not a scalar)
    if (dsm.body[0] === 2 && dsm.body[3] === 2) throw new Unhandled('null dataspace');
    const filters = node.messages.find((m) => m.type === MSG_FILTERS);
    if (filters && filters.body[1]! > 0) throw new Unhandled('filters');
    const type = decodeDatatype(new ByteReader(dtm.body, 0, this.path));
    return { type, dims: decodeDataspace(dsm.body, this.path).dims, messages: node.messages };
  }

  /** The first `size` bytes of a dataset's raw data (its first element), from its storage. */
  private async firstElement(messages: HeaderMessage[], size: number, rank: number): Promise<Uint8Array> {
    const lm = messages.find((m) => m.type === MSG_LAYOUT)!;
    const layout = decodeLayout(lm.body, this.path);
    if (layout.kind === 'contiguous') {
      if (layout.addr === UNDEF_ADDR || layout.size < size) throw new Unhandled('unallocated');
      return this.read(layout.addr, size);
    }
    if (layout.kind === 'compact') {
      // version 3, class 0: raw data size (u16), then the raw data
      const r = new ByteReader(lm.body, 2, this.path);
      const n = r.u16();
      if (n < size) throw new Unhandled('compact data too short');
      return r.bytesN(size).slice();
    }
    // chunked, v1 B-tree: the chunk at logical offset 0
    if (layout.btreeAddr === UNDEF_ADDR || layout.chunkDims.length !== rank + 1) throw new Unhandled('chunks');
    let addr = layout.btreeAddr;
    for (let depth = 0; depth < 64; depth++) {
      const node = await readBtreeNode(this.read, addr, 1, 8 + 8 * (rank + 1), this.path);
      if (node.children.length === 0) break;
      if (node.level > 0) {
        addr = node.children[0]!;
        continue;
      }
      const key = decodeChunkKey(node.keys[0]!, rank + 1, this.path);
      if (key.filterMask !== 0 || key.offsets.some((o) => o !== 0)) throw new Unhandled('first chunk');
      return this.read(node.children[0]!, size);
    }
    throw new Unhandled('no first chunk');
  }

  /** The bytes of object `index` of the global heap collection at `addr`. */
  private async globalHeapObject(addr: number, index: number): Promise<Uint8Array> {
    const h = new DataView((await this.read(addr, 16)).buffer);
    if (h.getUint32(0, true) !== 0x4c4f4347 || h.getUint8(4) !== 1) throw new Unhandled('global heap');
    const end = addr + h.getUint32(8, true) + h.getUint32(12, true) * 4294967296;
    for (let at = addr + 16; at + 16 <= end; ) {
      const o = new DataView((await this.read(at, 16)).buffer);
      const idx = o.getUint16(0, true);
      if (idx === 0) break;
      const size = o.getUint32(8, true) + o.getUint32(12, true) * 4294967296;
      if (idx === index) return this.read(at + 16, size);
      at += 16 + Math.ceil(size / 8) * 8;
    }
    throw new Unhandled('global heap object');
  }
}

/** The links of a group; throws Unhandled when they are not read here. */
function linksOf(node: { links: Link[] | null }): Link[] {
  if (!node.links) throw new Unhandled('links');
  return node.links;
}

/** h5wasm's `keys()` order of a group that does not index creation order: byte-wise by name. */
function sortLinks<T extends { name: string }>(links: T[]): T[] {
  return links.sort((a, b) => compareNames(a.name, b.name));
}

/**
 * The file datatype `t` described as h5wasm's Metadata for the record decoders of
 * record-layout.ts, or null when it holds anything but little-endian integers and floats in
 * arrays and compounds (the only layout the h5wasm path decodes straight from file bytes, see
 * FixedParts.sameLayout).
 */
export function metadataOf(t: Datatype): Metadata | null {
  const md = (o: Record<string, unknown>): Metadata => o as unknown as Metadata;
  switch (t.kind) {
    case 'int':
      return md({ type: H5T.INTEGER, size: t.size, signed: t.signed, littleEndian: true, shape: null });
    case 'float':
      return md({ type: H5T.FLOAT, size: t.size, signed: false, littleEndian: true, shape: null });
    case 'array': {
      const base = metadataOf(t.base);
      if (!base) return null;
      const n = t.dims.reduce((a, b) => a * b, 1);
      return md({ type: H5T.ARRAY, size: n * base.size, signed: false, littleEndian: true, shape: null, array_type: { ...base, shape: [...t.dims] } });
    }
    case 'compound': {
      const members: Array<Metadata & { name: string; offset: number }> = [];
      for (const m of t.members) {
        const x = metadataOf(m.type);
        if (!x) return null;
        members.push({ ...x, name: m.name, offset: m.offset } as Metadata & { name: string; offset: number });
      }
      return md({ type: H5T.COMPOUND, size: t.size, signed: false, littleEndian: true, shape: null, compound_type: { members, nmembers: members.length } });
    }
    default:
      return null;
  }
}
