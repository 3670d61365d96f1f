/**
 * Reading the client's input file into MRD wire bytes: the reader worker's side
 * (`runInputReaderWorker`, see input-source.ts for the main thread's) and `LocalInputSource`
 * (the same on the calling thread). Loaded by the worker's bundle and, for `LocalInputSource`,
 * on demand, never at the CLI's start-up.
 *
 * Acquisitions are read straight from the file into the batch buffer where mrd-core's direct
 * reader applies (`MrdFile.acquisitionWireReader`: each payload byte copied once, by the
 * kernel), else read through HDF5 and encoded; the bytes are the same.
 *
 * The worker first tries mrd-core's own HDF5 decoders (`NativeMrdIndex`): for the files they
 * read (those of the reference tools, h5py and mrd-core's writer) the groups, the description
 * and the acquisitions come without loading h5wasm at all (its load is most of the worker's
 * start-up). Anything they do not handle is answered through MrdFile (h5wasm, loaded then), as
 * are waveforms and images: the same messages either way.
 *
 * Once the worker has described a group with acquisitions (a file's only group as soon as it is
 * open, before it is asked), it prepares them while the main thread parses its arguments,
 * connects and sends the preamble: the chunk index is walked and the first PREPARED_AHEAD
 * batches are filled (`PreparedAcquisitions`), so the first acquisitions go out as soon as they
 * are asked for instead of 20-30 ms later (the server's session waits for them to finish its
 * preamble). Same batches, same order: only earlier.
 *
 * `LocalInputSource` does the same on the calling thread (small inputs, library use, and large
 * inputs whose reads are all made ahead on libuv's thread pool: `openReadingAhead`); its direct
 * batches are filled with `AcquisitionWireReader.fillAsync`, so the thread is not blocked by
 * the payloads' reads.
 *
 * There, an input of 1 GiB or more found cold (`directReads`) is read on through mrd-core's
 * `DirectRing` (O_DIRECT); else as before. Same bytes.
 */
import { readFileSync, statSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { MrdMessage } from '@mrd-tools/core/connection';
// The reader and the encoder by their own modules, not the core's index: the worker bundle
// (dist/input-reader.js) then holds only what reading and encoding need, and starting the
// worker does not load the XML parser and the rest of the core (about 20 ms before the first
// byte is read).
import { MrdFile, h5runtimeLoaded, type AcquisitionWireReader } from '@mrd-tools/core/hdf5/reader';
// (by its own module: only this reader's bundles hold it, not every tool that reads HDF5)
import { DirectRing, type DirectRingOptions } from '@mrd-tools/core/hdf5/direct-ring';
import { NativeMrdIndex } from '@mrd-tools/core/hdf5/native-index';
import { encodeMessageInto, encodeMessages, encodedMessageLength } from '@mrd-tools/core/stream';
import type { EncodedBatch, GroupInfo, InputReaderInfo, InputSource, InputTiming, ReaderBootData, StreamKind, ToMain, ToWorker } from './input-source.js';
import { readAheadGroup } from './read-ahead-check.js';

/**
 * Wire bytes per batch read through HDF5 (h5wasm): small enough to keep memory low (with AHEAD
 * batches in flight the client's peak RSS is about 190 MB on a 2 GB input), large enough for
 * few HDF5 calls (16 MB sends 2 GB about a quarter faster than 4 MB did).
 */
const BATCH_BYTES = 16 * 1024 * 1024;
const AHEAD = 2;
/**
 * Batches of the direct acquisition reader: small buffers, reused round-robin, and few pages
 * are touched for the first time (docs/streaming-performance.md). Tests lower it.
 */
export const wireBatch = { bytes: 2 * 1024 * 1024 };
/**
 * Batches of the direct reader out at once (filled, or with the main thread until written):
 * twice the batches the client's BatchWriter keeps in flight (4), so that the reader goes on
 * filling while the socket holds that many, and the main thread finds the next batch waiting
 * when the socket takes one. With as many as in flight, the reader stopped whenever the socket
 * was full and the main thread then waited for it (a third to a half of a 2 GB run).
 */
const WIRE_AHEAD = 8;
/**
 * Direct reads for inputs of `minBytes` and more (the ring's fixed costs lost on the 253 MB bench
 * input) that are cold: /proc/self/io `read_bytes` grew by half the first `sampleBytes` of wire
 * bytes or more (docs/streaming-performance.md, `cold-direct`), through a ring of DirectRing's
 * default blocks (`ring`). Tests lower them.
 */
export const directReads: { minBytes: number; sampleBytes: number; ring?: DirectRingOptions } = { minBytes: 1024 * 1024 * 1024, sampleBytes: 8 * 1024 * 1024 };

/** Bytes this process read from storage (not the page cache), or null. */
export function storageReadBytes(): number | null {
  try {
    const m = /^read_bytes:\s*(\d+)/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Whether `sampled` wire bytes that cost `storage` bytes of storage reads (null: unknown) were cold. */
export function inputIsCold(storage: number | null, sampled: number): boolean {
  return storage !== null && sampled > 0 && storage >= sampled / 2;
}

/** Batches filled before the 'stream' request (see the file header): as before the deeper read-ahead, so start-up does no more work. */
const PREPARED_AHEAD = 4;

function describeGroup(file: MrdFile, group: string): GroupInfo {
  const members = file.list(`/${group}`);
  return {
    members,
    // As the reference: the image_* / images_* groups in HDF5 (name) order.
    imageSeries: file.imageSeries(group).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    acquisitionCount: members.includes('data') ? file.acquisitionCount(group) : 0,
    waveformCount: members.includes('waveforms') ? file.waveformCount(group) : 0,
    xml: members.includes('xml') ? file.readHeader(group) : undefined,
    configAdditional: members.includes('configAdditional') ? file.readText(group, 'configAdditional') : undefined,
  };
}

/**
 * `describeGroup` from mrd-core's own HDF5 decoders, or null when any part of it is not one
 * they handle (then ask MrdFile).
 */
async function describeGroupNative(idx: NativeMrdIndex, group: string): Promise<GroupInfo | null> {
  const list = await idx.members(`/${group}`);
  if (!list) return null;
  const members = list.map((m) => m.name);
  const series = await idx.imageSeries(group);
  if (!series) return null;
  const count = async (name: string): Promise<number | null> => {
    if (!members.includes(name)) return 0;
    return (await idx.rows(group, name)) ?? null;
  };
  const text = async (name: string): Promise<string | undefined | null> => (members.includes(name) ? idx.readText(group, name) : undefined);
  const acquisitionCount = await count('data');
  const waveformCount = await count('waveforms');
  const xml = await text('xml');
  const configAdditional = await text('configAdditional');
  if (acquisitionCount === null || waveformCount === null || xml === null || configAdditional === null) return null;
  return { members, imageSeries: series.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), acquisitionCount, waveformCount, xml, configAdditional };
}

async function* messageBatches(file: MrdFile, kind: StreamKind, group: string, series?: string): AsyncGenerator<MrdMessage[]> {
  if (kind === 'acquisitions') {
    let recordBytes = 0;
    for await (const first of file.acquisitionBatches(group, { start: 0, end: 1 })) {
      if (first[0]) recordBytes = 342 + first[0].data.byteLength + first[0].traj.byteLength;
    }
    const batchSize = Math.max(1, Math.min(4096, Math.floor(BATCH_BYTES / Math.max(1, recordBytes))));
    // Payloads are views into the HDF5 runtime's memory (no copy): every consumer encodes a
    // batch before asking for the next one.
    for await (const batch of file.acquisitionBatches(group, { batchSize, heapViews: true })) {
      yield batch.map((acquisition) => ({ type: 'acquisition' as const, acquisition }));
    }
    return;
  }
  let msgs: MrdMessage[] = [];
  let bytes = 0;
  if (kind === 'waveforms') {
    for await (const waveform of file.waveforms(group)) {
      msgs.push({ type: 'waveform', waveform });
      bytes += 42 + waveform.data.byteLength;
      if (bytes >= BATCH_BYTES || msgs.length >= 4096) {
        yield msgs;
        msgs = [];
        bytes = 0;
      }
    }
  } else {
    for await (const image of file.images(group, series!)) {
      msgs.push({ type: 'image', image });
      bytes += 208 + image.attribute.length + image.data.byteLength;
      if (bytes >= BATCH_BYTES || msgs.length >= 4096) {
        yield msgs;
        msgs = [];
        bytes = 0;
      }
    }
  }
  if (msgs.length) yield msgs;
}

/** How the direct reader fills a batch: `AcquisitionWireReader.fill` (synchronous reads) or `fillAsync` (reads on libuv's thread pool). */
export type WireFill = (start: number, maxRows: number, out: Uint8Array, offset: number) => WireFillResult | Promise<WireFillResult>;
type WireFillResult = { rows: number; end: number; needed: number };

/**
 * The batches of acquisitions read straight into wire bytes (see the file header), by the one
 * batch rule both readers use (the worker with `fill`, `ReadAhead` with `fillAsync`): a batch
 * starts where the previous one ended, holds at most `wireBatch.bytes` whatever the buffer that
 * was free, and a message larger than that gets a buffer of its own. `take` gives a buffer of at
 * least `min` bytes for the next batch.
 */
export async function* directAcquisitionBatches(rows: number, take: (min: number) => ArrayBuffer, fill: WireFill): AsyncGenerator<WireBatch> {
  for (let at = 0; at < rows; ) {
    let buf = take(wireBatch.bytes);
    let r = await fill(at, 4096, new Uint8Array(buf, 0, Math.min(buf.byteLength, wireBatch.bytes)), 0);
    if (r.rows === 0) {
      // one message larger than a batch: a buffer of its own
      buf = take(r.needed);
      r = await fill(at, 1, new Uint8Array(buf), 0);
    }
    at += r.rows;
    yield { buf, length: r.end, count: r.rows };
  }
}

/**
 * The direct reader's batches filled ahead on the calling thread, their reads made on libuv's
 * thread pool (`AcquisitionWireReader.fillAsync`): the thread goes on (writing the socket) while
 * the kernel copies the file into the next batches. Up to `depth` batches are out at once
 * (filled, or yielded and not yet released), as the worker's credits do; `deepen` raises it
 * (PREPARED_AHEAD before the stream is asked for, WIRE_AHEAD after). The batches are
 * `directAcquisitionBatches`' (where one ends depends on the fill: `fillAsync` may end a batch
 * earlier than `fill`; the bytes are the same).
 */
class ReadAhead {
  private readonly free: ArrayBuffer[] = [];
  private readonly ready: WireBatch[] = [];
  private out = 0;
  private finished = false;
  private failure: unknown = null;
  private stopped = false;
  private wakeConsumer: (() => void) | null = null;
  private wakeProducer: (() => void) | null = null;
  private readonly producer: Promise<void>;

  constructor(
    private readonly wire: AcquisitionWireReader,
    private depth: number,
    private readonly timing: InputTiming,
    private readonly path: string,
    private readonly reader: InputReaderInfo,
  ) {
    this.producer = this.produce();
  }

  /** A ring the file is read on through from `row`, when large and cold (`directReads`), or null. */
  private goDirect(row: number, storage: number | null, sampled: number): DirectRing | null {
    // (the C library's layout only: rows and payloads in file order)
    if (!this.wire.readsAhead || !inputIsCold(storage, sampled)) return null;
    let size = 0;
    try {
      size = statSync(this.path).size;
    } catch {
      return null;
    }
    if (size < directReads.minBytes) return null;
    const ring = DirectRing.open(this.path, directReads.ring);
    if (!ring) return null;
    this.wire.readDirect(ring, row);
    this.reader.direct = ring.stats;
    return ring;
  }

  private take(min: number): ArrayBuffer {
    for (let i = this.free.length - 1; i >= 0; i--) if (this.free[i]!.byteLength >= min) return this.free.splice(i, 1)[0]!;
    return new ArrayBuffer(min);
  }

  private wake(which: 'consumer' | 'producer'): void {
    const w = which === 'consumer' ? this.wakeConsumer : this.wakeProducer;
    if (which === 'consumer') this.wakeConsumer = null;
    else this.wakeProducer = null;
    w?.();
  }

  private async produce(): Promise<void> {
    const wire = this.wire;
    const batches = directAcquisitionBatches(wire.rows, (min) => this.take(min), (start, maxRows, out, offset) => wire.fillAsync(start, maxRows, out, offset));
    const storage0 = storageReadBytes();
    let sampled = storage0 === null ? -1 : 0;
    let row = 0;
    let ring: DirectRing | null = null;
    try {
      while (!this.stopped) {
        while (this.ready.length + this.out >= this.depth && !this.stopped) await new Promise<void>((r) => (this.wakeProducer = r));
        if (this.stopped) break;
        const t0 = performance.now();
        const next = await batches.next();
        this.timing.readMs += performance.now() - t0;
        if (next.done) break;
        row += next.value.count;
        if (sampled >= 0) {
          sampled += next.value.length;
          if (sampled >= directReads.sampleBytes) {
            const now = storageReadBytes();
            ring = row < wire.rows ? this.goDirect(row, now === null ? null : now - storage0!, sampled) : null;
            sampled = -1;
          }
        }
        this.ready.push(next.value);
        this.wake('consumer');
      }
    } catch (err) {
      this.failure = err;
    }
    if (ring) {
      wire.readDirect(null);
      await ring.close();
    }
    this.finished = true;
    this.wake('consumer');
  }

  deepen(depth: number): void {
    this.depth = Math.max(this.depth, depth);
    this.wake('producer');
  }

  async *batches(): AsyncGenerator<EncodedBatch> {
    try {
      for (;;) {
        while (this.ready.length === 0 && !this.finished) await new Promise<void>((r) => (this.wakeConsumer = r));
        const b = this.ready.shift();
        if (!b) {
          if (this.failure) throw this.failure;
          return;
        }
        this.out++;
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          this.out--;
          if (this.free.length < WIRE_AHEAD + 1) this.free.push(b.buf);
          this.wake('producer');
        };
        yield { bytes: new Uint8Array(b.buf, 0, b.length), count: b.count, release };
      }
    } finally {
      await this.stop();
    }
  }

  /** Stops reading and waits for the read in progress (the file may be closed then). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake('producer');
    await this.producer;
  }
}

/**
 * Reads on the calling thread, as the worker does: mrd-core's own HDF5 decoders first, MrdFile
 * (h5wasm, loaded then) for what they do not read, and for waveforms and images. The direct
 * reader's batches are filled ahead with reads on libuv's thread pool (`ReadAhead`), so the
 * thread is not blocked by the file's bulk; everything else reads synchronously.
 *
 * `openReadingAhead` is mrd-client's way to read a large input without a worker (whose boot,
 * Node's own worker bootstrap, was the longest step before the first byte): for files whose
 * reads are all made ahead that way, and nothing else to read.
 */
export class LocalInputSource implements InputSource {
  readonly timing: InputTiming = { readMs: 0, encodeMs: 0 };
  readonly reader: InputReaderInfo = { thread: 'main', hdf5Runtime: false };
  private h5: Promise<MrdFile> | null = null;
  /** A described group (its description and, when read ahead, its acquisitions' batches). */
  private early: { group: string; info: GroupInfo; ahead: ReadAhead | null } | null = null;
  private constructor(private readonly path: string, private readonly native: NativeMrdIndex | null, private readonly groupNames: string[]) {}
  static async open(path: string): Promise<LocalInputSource> {
    const native = await NativeMrdIndex.open(path);
    if (native) return new LocalInputSource(path, native, native.groups());
    const src = new LocalInputSource(path, null, []);
    src.groupNames.push(...(await src.file()).groups());
    return src;
  }
  /**
   * The input read on this thread when that blocks it for no more than its metadata: a file
   * mrd-core's decoders read, of one group holding acquisitions only (no waveforms dataset, no
   * image series), whose direct reader makes all its reads ahead
   * (`AcquisitionWireReader.readsAhead`: the C library's layout). Its first
   * PREPARED_AHEAD batches are then read at once (while the caller parses and connects). Null
   * otherwise (nothing kept open; the caller reads in a worker, which reports any error).
   */
  static async openReadingAhead(path: string): Promise<LocalInputSource | null> {
    const native = await NativeMrdIndex.open(path);
    return native && LocalInputSource.readingAhead(native);
  }
  /**
   * `openReadingAhead` of a file already open with mrd-core's decoders: the source takes `native`
   * over, or closes it and returns null. The cheapest checks first (read-ahead-check.ts): the
   * files of h5py and mrd-core's writer are turned down without their group described or their
   * chunk index walked.
   */
  static async readingAhead(native: NativeMrdIndex): Promise<LocalInputSource | null> {
    try {
      const group = await readAheadGroup(native);
      if (!group) throw new Error('not read ahead');
      const info = await describeGroupNative(native, group);
      if (!info || info.acquisitionCount === 0 || info.members.includes('waveforms') || info.imageSeries.length > 0) throw new Error('not read ahead');
      const wire = await native.acquisitionWireReader(group);
      if (!wire?.readsAhead) throw new Error('not read ahead');
      const src = new LocalInputSource(native.path, native, [group]);
      src.early = { group, info, ahead: new ReadAhead(wire, PREPARED_AHEAD, src.timing, native.path, src.reader) };
      return src;
    } catch {
      native.close();
      return null;
    }
  }
  private file(): Promise<MrdFile> {
    this.h5 ??= MrdFile.open(this.path).then((f) => {
      this.reader.hdf5Runtime = h5runtimeLoaded();
      return f;
    });
    return this.h5;
  }
  groups(): string[] {
    return this.groupNames;
  }
  async describe(group: string): Promise<GroupInfo> {
    if (this.early?.group === group) return this.early.info;
    return (this.native && (await describeGroupNative(this.native, group))) || describeGroup(await this.file(), group);
  }
  async *stream(kind: StreamKind, group: string, series?: string): AsyncGenerator<EncodedBatch> {
    const ahead = kind === 'acquisitions' && this.early?.group === group ? this.early.ahead : null;
    if (ahead && this.early) {
      this.early.ahead = null;
      ahead.deepen(WIRE_AHEAD);
      yield* ahead.batches();
      return;
    }
    const wire = kind === 'acquisitions' ? (this.native && (await this.native.acquisitionWireReader(group))) || (await (await this.file()).acquisitionWireReader(group)) : null;
    if (wire) {
      yield* new ReadAhead(wire, WIRE_AHEAD, this.timing, this.path, this.reader).batches();
      return;
    }
    const gen = messageBatches(await this.file(), kind, group, series);
    for (;;) {
      const t0 = performance.now();
      const r = await gen.next();
      const t1 = performance.now();
      this.timing.readMs += t1 - t0;
      if (r.done) return;
      const bytes = encodeMessages(r.value);
      this.timing.encodeMs += performance.now() - t1;
      yield { bytes, count: r.value.length };
    }
  }
  async close(): Promise<void> {
    const ahead = this.early?.ahead;
    if (ahead) {
      this.early!.ahead = null;
      await ahead.stop();
    }
    this.native?.close();
    if (this.h5) await this.h5.then((f) => f.close(), () => undefined);
  }
}

/** A batch of wire bytes filled by `directAcquisitionBatches`. */
export type WireBatch = { buf: ArrayBuffer; length: number; count: number };

/** The acquisitions of `group` read ahead of their 'stream' request: the reader, its batches, those filled so far. */
interface PreparedAcquisitions {
  group: string;
  batches: AsyncGenerator<WireBatch>;
  filled: WireBatch[];
  readMs: number;
}

/** Worker side. */
export async function runInputReaderWorker(boot: ReaderBootData): Promise<void> {
  const port = parentPort!;
  let credits = 0;
  let wake: (() => void) | null = null;
  const requests: ToWorker[] = [];
  let wakeRequest: (() => void) | null = null;
  // Encoding buffers go to the main thread and come back once written: no garbage per batch.
  const free: ArrayBuffer[] = [];
  port.on('message', (m: ToWorker) => {
    if (m.t === 'more') {
      if (m.buf.byteLength <= 2 * BATCH_BYTES && free.length < WIRE_AHEAD + 1) free.push(m.buf);
      credits++;
      const w = wake;
      wake = null;
      w?.();
    } else {
      requests.push(m);
      const w = wakeRequest;
      wakeRequest = null;
      w?.();
    }
  });
  const post = (m: ToMain, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer ?? []);
  // a free buffer when one is large enough (the first-fit one, most recently returned first), else a new one
  const take = (min: number): ArrayBuffer => {
    for (let i = free.length - 1; i >= 0; i--) if (free[i]!.byteLength >= min) return free.splice(i, 1)[0]!;
    return new ArrayBuffer(min);
  };
  let prepared: PreparedAcquisitions | null = null;
  /**
   * Reads `group`'s acquisitions ahead (see the file header) until PREPARED_AHEAD batches are filled
   * or a request comes in; leaves `prepared` null when mrd-core's direct reader does not apply
   * or fails (the 'stream' request then takes the usual way and reports any error).
   */
  const prepare = async (group: string): Promise<void> => {
    if (!native) return;
    try {
      const t0 = performance.now();
      const wire = await native.acquisitionWireReader(group);
      if (!wire) return;
      const p: PreparedAcquisitions = { group, batches: directAcquisitionBatches(wire.rows, take, (...a) => wire.fill(...a)), filled: [], readMs: performance.now() - t0 };
      prepared = p;
      while (p.filled.length < PREPARED_AHEAD && requests.length === 0) {
        // (a turn of the event loop between batches lets a request in)
        await new Promise<void>((r) => setImmediate(r));
        if (requests.length > 0) break;
        const t1 = performance.now();
        const b = await p.batches.next();
        p.readMs += performance.now() - t1;
        if (b.done) break;
        p.filled.push(b.value);
      }
    } catch {
      prepared = null;
    }
  };
  // mrd-core's own decoders where they apply; MrdFile (h5wasm) opened on first need otherwise
  let native: NativeMrdIndex | null = null;
  const h5: { opening: Promise<MrdFile> | null } = { opening: null };
  const hdf5File = (): Promise<MrdFile> => (h5.opening ??= MrdFile.open(boot.file));
  try {
    native = await NativeMrdIndex.open(boot.file);
  } catch (err) {
    post({ t: 'error', message: (err as Error).message });
    port.close();
    return;
  }
  // A file of one group (the usual input): described before the main thread asks, and the
  // description sent with 'opened' (the main thread asks for it next: answered from there, not
  // behind the read-ahead below); then its acquisitions are prepared while the main thread
  // parses, connects and sends the preamble. The answers are the same as asked for later.
  let described: { group: string; info: GroupInfo } | null = null;
  const only = native?.groups();
  if (native && only?.length === 1) {
    try {
      const info = await describeGroupNative(native, only[0]!);
      if (info) described = { group: only[0]!, info };
    } catch {
      described = null; // asked again when the main thread asks, which reports any error
    }
  }
  try {
    post({ t: 'opened', groups: native ? native.groups() : (await hdf5File()).groups(), hdf5: h5runtimeLoaded(), described: described ?? undefined });
  } catch (err) {
    post({ t: 'error', message: (err as Error).message });
    port.close();
    return;
  }
  if (described?.info.members.includes('data') && requests.length === 0) await prepare(described.group);
  try {
    for (;;) {
      while (requests.length === 0) await new Promise<void>((r) => (wakeRequest = r));
      const req = requests.shift()!;
      if (req.t === 'close') break;
      try {
        if (req.t === 'describe') {
          const early = described?.group === req.group ? described.info : null;
          const info = early ?? ((native && (await describeGroupNative(native, req.group))) || describeGroup(await hdf5File(), req.group));
          post({ t: 'described', info, hdf5: h5runtimeLoaded() });
          // (acquisitions prepared before the request are kept)
          if ((prepared as PreparedAcquisitions | null)?.group !== req.group) {
            prepared = null;
            if (info.members.includes('data')) await prepare(req.group);
          }
        } else if (req.t === 'stream') {
          const timing: InputTiming = { readMs: 0, encodeMs: 0 };
          // (acquisitions read ahead wait for their request when waveforms are sent first)
          const ahead = prepared as PreparedAcquisitions | null; // (set by prepare(), which TypeScript does not follow)
          const ready = req.kind === 'acquisitions' && ahead?.group === req.group ? ahead : null;
          if (req.kind === 'acquisitions') prepared = null;
          let batches: AsyncGenerator<WireBatch> | null = null;
          const filled: WireBatch[] = [];
          if (ready) {
            batches = ready.batches;
            filled.push(...ready.filled);
            timing.readMs += ready.readMs;
          } else if (req.kind === 'acquisitions') {
            const wire = (native && (await native.acquisitionWireReader(req.group))) || (await (await hdf5File()).acquisitionWireReader(req.group));
            if (wire) batches = directAcquisitionBatches(wire.rows, take, (...a) => wire.fill(...a));
          }
          credits = batches ? WIRE_AHEAD : AHEAD;
          if (batches) {
            for (;;) {
              while (credits <= 0) await new Promise<void>((r) => (wake = r));
              let b = filled.shift();
              if (!b) {
                const t0 = performance.now();
                const next = await batches.next();
                timing.readMs += performance.now() - t0;
                if (next.done) break;
                b = next.value;
              }
              credits--;
              post({ t: 'chunk', buf: b.buf, length: b.length, count: b.count }, [b.buf]);
            }
            post({ t: 'end', timing, hdf5: h5runtimeLoaded() });
            continue;
          }
          const gen = messageBatches(await hdf5File(), req.kind, req.group, req.series);
          for (;;) {
            const t0 = performance.now();
            const next = await gen.next();
            timing.readMs += performance.now() - t0;
            if (next.done) break;
            const msgs = next.value;
            while (credits <= 0) await new Promise<void>((r) => (wake = r));
            credits--;
            const t1 = performance.now();
            let total = 0;
            for (const m of msgs) total += encodedMessageLength(m);
            let buf = free.pop();
            if (!buf || buf.byteLength < total) buf = new ArrayBuffer(Math.max(total, Math.ceil(BATCH_BYTES * 1.25)));
            const out = new Uint8Array(buf);
            let o = 0;
            for (const m of msgs) o = encodeMessageInto(m, out, o);
            timing.encodeMs += performance.now() - t1;
            post({ t: 'chunk', buf, length: o, count: msgs.length }, [buf]);
          }
          post({ t: 'end', timing, hdf5: h5runtimeLoaded() });
        }
      } catch (err) {
        post({ t: 'error', message: (err as Error).message });
      }
    }
  } finally {
    native?.close();
    if (h5.opening) await h5.opening.then((f) => f.close(), () => undefined);
    port.close();
  }
}

