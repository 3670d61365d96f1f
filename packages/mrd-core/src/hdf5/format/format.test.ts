/**
 * HDF5 format encoders against the structures the HDF5 library wrote in the reference files, and
 * round trips through our own decoders.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reference } from '../../testing/index.js';
import { acquisitionType, acquisitionTypePacked, imageHeaderType, waveformType } from '../writer/mrd-datatypes.js';
import { ByteReader, UNDEF_ADDR } from './bytes.js';
import { ChunkIndexSpine, decodeChunkKey, encodeChunkKey, rightBound, type ChunkKey } from './chunk-index.js';
import { decodeDatatype, encodeDatatype, sameDatatype, type Datatype } from './datatype.js';
import { GlobalHeapCollectionBuilder } from './global-heap.js';
import { lookup3 } from './checksum.js';
import { decodeDataspace, encodeDataspace, encodeObjectHeaderV1, readObjectHeaderV1, MSG_DATATYPE } from './object-header.js';
import { decodeSuperblock, encodeSuperblock, newSuperblock } from './superblock.js';
import { encodeLocalHeap } from './symbol-table.js';

const readFrom = (bytes: Uint8Array) => async (addr: number, n: number) => bytes.subarray(addr, addr + n);

describe('datatype messages', () => {
  it('decode what they encode', () => {
    for (const t of [acquisitionType, acquisitionTypePacked, imageHeaderType, waveformType, { kind: 'vlen-string', cset: 'utf8' } as Datatype]) {
      const back = decodeDatatype(new ByteReader(encodeDatatype(t).toBytes()));
      expect(sameDatatype(back, t)).toBe(true);
    }
    expect(sameDatatype(acquisitionType, acquisitionTypePacked)).toBe(false);
  });
});

describe('datatype messages against the HDF5 library', () => {
  async function datatypeMessage(file: string, path: string[]): Promise<Uint8Array> {
    const bytes = new Uint8Array(readFileSync(reference(file)));
    const sb = decodeSuperblock(bytes.subarray(0, 100), 0, file);
    const { readSymbolTable } = await import('./symbol-table.js');
    const { decodeStab, MSG_STAB } = await import('./object-header.js');
    let addr = sb.root.objectHeaderAddr;
    for (const name of path) {
      const oh = await readObjectHeaderV1(readFrom(bytes), addr, file);
      const stab = decodeStab(oh.messages.find((m) => m.type === MSG_STAB)!.body, file);
      const entries = await readSymbolTable(readFrom(bytes), stab.btreeAddr, stab.heapAddr, file);
      addr = entries.find((e) => e.name === name)!.objectHeaderAddr;
    }
    const oh = await readObjectHeaderV1(readFrom(bytes), addr, file);
    return oh.messages.find((m) => m.type === MSG_DATATYPE)!.body;
  }

  it('encode the acquisition types byte for byte as h5py and the C library wrote them', async () => {
    const py = await datatypeMessage('inputs/phantom_m64_c4_r2.h5', ['dataset', 'data']);
    expect(Buffer.from(encodeDatatype(acquisitionTypePacked).toBytes())).toEqual(Buffer.from(py.subarray(0, encodeDatatype(acquisitionTypePacked).length)));
    const cpp = await datatypeMessage('inputs/cpp_phantom_m64_c4_noise_traj.h5', ['dataset', 'data']);
    expect(Buffer.from(encodeDatatype(acquisitionType).toBytes())).toEqual(Buffer.from(cpp.subarray(0, encodeDatatype(acquisitionType).length)));
    const wf = await datatypeMessage('inputs/phantom_m64_waveforms.h5', ['dataset', 'waveforms']);
    expect(Buffer.from(encodeDatatype(waveformType).toBytes())).toEqual(Buffer.from(wf.subarray(0, encodeDatatype(waveformType).length)));
  });
});

describe('superblock', () => {
  it('commits root entry and end of file in the first 96 bytes', () => {
    const sb = newSuperblock();
    sb.eofAddr = 123456;
    sb.root = { objectHeaderAddr: 800, stab: { btreeAddr: 900, heapAddr: 1000 } };
    const bytes = encodeSuperblock(sb);
    expect(bytes.length).toBe(96);
    const back = decodeSuperblock(bytes, 0, 'x');
    expect(back.eofAddr).toBe(123456);
    expect(back.root).toEqual(sb.root);
    expect(back.chunkK).toBe(32);
  });
  it('rejects unknown superblock versions with a clear message', () => {
    const bytes = encodeSuperblock(newSuperblock());
    bytes[8] = 4;
    expect(() => decodeSuperblock(bytes, 0, 'f.h5')).toThrow(/superblock version 4 is not supported/);
  });
  // the superblock h5py (HDF5 1.10.8) wrote for a libver='latest' file
  const V3 = Buffer.from('894844460d0a1a0a030808000000000000000000ffffffffffffffff10180000000000003000000000000000' + '1cfab455', 'hex');
  it('checksums with Jenkins lookup3 as HDF5 does', () => {
    expect(lookup3(new Uint8Array(0))).toBe(0xdeadbeef);
    expect(lookup3(V3.subarray(0, 44))).toBe(0x55b4fa1c);
  });
  it('reads and re-commits version 3 superblocks with a valid checksum', () => {
    const sb = decodeSuperblock(new Uint8Array(V3), 0, 'latest.h5');
    expect(sb.version).toBe(3);
    expect(sb.eofAddr).toBe(0x1810);
    expect(sb.root.objectHeaderAddr).toBe(48);
    sb.eofAddr = 1 << 20;
    sb.root = { objectHeaderAddr: 4096 };
    const again = decodeSuperblock(encodeSuperblock(sb), 0, 'latest.h5');
    expect(again.eofAddr).toBe(1 << 20);
    expect(again.root.objectHeaderAddr).toBe(4096);
    const bad = new Uint8Array(V3);
    bad[30] ^= 1;
    expect(() => decodeSuperblock(bad, 0, 'latest.h5')).toThrow(/checksum/);
    const open = new Uint8Array(V3);
    open[11] = 1;
    expect(() => decodeSuperblock(open, 0, 'latest.h5')).toThrow(/open for writing/);
  });
});

describe('object headers', () => {
  it('round trip messages with 8-byte alignment', async () => {
    const msgs = [
      { type: 1, flags: 0, body: encodeDataspace([5, 3], [Infinity, 3]) },
      { type: 17, flags: 0, body: new Uint8Array([1, 2, 3]) },
    ];
    const oh = encodeObjectHeaderV1(msgs, 2);
    expect(oh.length % 8).toBe(0);
    const back = await readObjectHeaderV1(readFrom(oh), 0, 'oh');
    expect(back.refCount).toBe(2);
    expect(decodeDataspace(back.messages[0].body, 'ds')).toEqual({ dims: [5, 3], maxDims: [Infinity, 3] });
    expect(Array.from(back.messages[1].body.subarray(0, 3))).toEqual([1, 2, 3]);
  });
});

describe('local heap', () => {
  it('keeps the empty name at offset 0 and names 8-byte aligned, with a free block', () => {
    const h = encodeLocalHeap(['data', 'xml', 'image_0'], 1000);
    expect(h.offsets.get('data')).toBe(8);
    expect(h.offsets.get('xml')).toBe(16);
    expect(h.offsets.get('image_0')).toBe(24);
    const r = new ByteReader(h.bytes);
    expect(String.fromCharCode(...r.bytesN(4))).toBe('HEAP');
    r.skip(4);
    const size = r.u64();
    const free = r.u64();
    expect(r.u64()).toBe(1032);
    expect(free).toBe(32);
    expect(size).toBe(32 + 64);
  });
});

describe('global heap collections', () => {
  it('are at least 4 KiB, objects 8-byte aligned, free space described by object 0', () => {
    const b = new GlobalHeapCollectionBuilder(1 << 20);
    expect(b.add(new Uint8Array([1, 2, 3]))).toBe(1);
    expect(b.add(new Uint8Array(0))).toBe(2);
    const out = b.finish();
    expect(out.length).toBe(4096);
    const r = new ByteReader(out);
    expect(String.fromCharCode(...r.bytesN(4))).toBe('GCOL');
    r.skip(4);
    expect(r.u64()).toBe(4096);
    expect([r.u16(), r.u16(), r.u32(), r.u64()]).toEqual([1, 0, 0, 3]);
    expect(Array.from(r.bytesN(8))).toEqual([1, 2, 3, 0, 0, 0, 0, 0]);
    expect([r.u16(), r.u16(), r.u32(), r.u64()]).toEqual([2, 0, 0, 0]);
    expect([r.u16(), r.u16(), r.u32(), r.u64()]).toEqual([0, 0, 0, 4096 - 16 - 24 - 16]);
  });
});

describe('chunk keys', () => {
  it('decode as ByteReader reads them: sizes, masks, offsets up to 2^53, all-ones as UNDEF_ADDR', () => {
    for (const k of [
      { nbytes: 0, filterMask: 0, offsets: [0, 0] },
      { nbytes: 0xffffffff, filterMask: 0x80000001, offsets: [2 ** 53 - 1, 0x1_0000_0001] },
      { nbytes: 524288, filterMask: 0, offsets: [14847, 0, 3] },
    ] satisfies ChunkKey[]) {
      const raw = encodeChunkKey(k);
      expect(decodeChunkKey(raw, k.offsets.length, 't')).toEqual(k);
      const r = new ByteReader(raw, 0, 't');
      expect({ nbytes: r.u32(), filterMask: r.u32(), offsets: k.offsets.map(() => r.u64()) }).toEqual(k);
      // a view into a larger buffer (keys are views into their node's bytes)
      const inNode = new Uint8Array(raw.length + 11);
      inNode.set(raw, 5);
      expect(decodeChunkKey(inNode.subarray(5, 5 + raw.length), k.offsets.length, 't')).toEqual(k);
    }
    const undef = new Uint8Array(24).fill(0xff);
    expect(decodeChunkKey(undef, 2, 't').offsets).toEqual([UNDEF_ADDR, UNDEF_ADDR]);
  });
  it('report offsets beyond 2^53 and truncated keys, naming the file', () => {
    const big = encodeChunkKey({ nbytes: 1, filterMask: 0, offsets: [0, 0] });
    big[8 + 8 + 6] = 0x20; // second offset: hi word 0x200000
    expect(() => decodeChunkKey(big, 2, 'f.h5')).toThrow(/f\.h5: 64-bit value beyond 2\^53/);
    expect(() => decodeChunkKey(big.subarray(0, 20), 2, 'f.h5')).toThrow(/f\.h5: truncated/);
  });
});

describe('chunk index spine', () => {
  it('grows level by level and keeps every chunk reachable in key order', async () => {
    const file = new Uint8Array(64 << 20);
    let end = 8;
    const sink = (bytes: Uint8Array) => {
      const a = end;
      file.set(bytes, a);
      end += bytes.length;
      return a;
    };
    const spine = new ChunkIndexSpine(2, 32);
    const dims = [1, 12];
    const n = 64 * 64 + 65;
    for (let i = 0; i < n; i++) {
      const first: ChunkKey = { nbytes: 12, filterMask: 0, offsets: [i, 0] };
      spine.add({ first, last: rightBound(first, dims), addr: 1_000_000 + i }, sink);
    }
    const root = spine.writeSpine(sink);
    expect(root).not.toBe(UNDEF_ADDR);
    const { readBtreeNode } = await import('./symbol-table.js');
    const seen: number[] = [];
    const walk = async (addr: number, level: number): Promise<void> => {
      const node = await readBtreeNode(readFrom(file), addr, 1, 24, 't');
      expect(node.level).toBe(level);
      const keys = node.keys.map((k) => decodeChunkKey(k, 2, 't').offsets[0]);
      for (let i = 1; i < keys.length; i++) expect(keys[i]).toBeGreaterThan(keys[i - 1]);
      for (const c of node.children) {
        if (level > 0) await walk(c, level - 1);
        else seen.push(c - 1_000_000);
      }
    };
    await walk(root, 2);
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
    // loading the right edge back continues where it left off
    const again = await ChunkIndexSpine.load(readFrom(file), root, 2, 32, 't');
    expect(again.leafChunks.map((c) => c.first.offsets[0])).toEqual([n - 1]);
    expect(encodeChunkKey(again.leafChunks[0].first).length).toBe(24);
  });
});
