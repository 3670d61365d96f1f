/**
 * The client's input file, read off the main thread: the main thread's side (the protocol with
 * the reader and `WorkerInputSource`), which loads none of the reading code.
 *
 * HDF5 reads are synchronous: on the main thread every batch read would block the event loop,
 * the socket would not be fed meanwhile and the server would wait. So a worker thread
 * (input-file-reader.ts, started from its own small bundle dist/input-reader.js) opens the file,
 * answers the metadata questions (groups, members, header, counts, configAdditional) and streams
 * acquisitions, waveforms and images already encoded as MRD wire bytes, a few batches ahead
 * (bounded memory); the main thread only writes those bytes to the socket. The main thread
 * never loads the HDF5 reader or runtime for the input (nor, at start-up, the reader's code).
 *
 * Where every bulk read can be made ahead on libuv's thread pool instead (the ISMRMRD C
 * library's files: `LocalInputSource.openReadingAhead`, early-input.ts), the main thread reads
 * the file itself without blocking and no worker is started.
 */
import { Worker } from 'node:worker_threads';

export interface GroupInfo {
  members: string[];
  imageSeries: string[];
  acquisitionCount: number;
  waveformCount: number;
  xml: string | undefined;
  configAdditional: string | undefined;
}

export type StreamKind = 'acquisitions' | 'waveforms' | 'images';

export interface EncodedBatch {
  bytes: Uint8Array;
  count: number;
  /** Call once `bytes` is written and no longer referenced (its buffer is reused). */
  release?: () => void;
}

/** Time the input spent reading the file and encoding wire bytes (ms), for phase timings. */
export interface InputTiming {
  readMs: number;
  encodeMs: number;
}

/** How the input is read: on a worker thread or this one, and whether that thread loaded h5wasm (so far). */
export interface InputReaderInfo {
  thread: 'worker' | 'main';
  hdf5Runtime: boolean;
  /** The input found cold and read with direct I/O (input-file-reader.ts, `ReadAhead`): the ring's reads, bytes, ranges served and refused. */
  direct?: { reads: number; bytes: number; served: number; refused: number };
}

export interface InputSource {
  readonly timing: InputTiming;
  readonly reader: InputReaderInfo;
  groups(): string[];
  describe(group: string): Promise<GroupInfo>;
  stream(kind: StreamKind, group: string, series?: string): AsyncGenerator<EncodedBatch>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- worker protocol (input-file-reader.ts is the worker's side)

export interface ReaderBootData {
  kind: 'mrd-client-input-reader';
  file: string;
}

export type ToWorker =
  | { t: 'describe'; group: string }
  | { t: 'stream'; kind: StreamKind; group: string; series?: string }
  | { t: 'more'; buf: ArrayBuffer }
  | { t: 'close' };

export type ToMain =
  /**
   * `described`: a file of one group comes with that group's description (the main thread's
   * next question), so asking it costs no round trip behind the reader's read-ahead.
   */
  | { t: 'opened'; groups: string[]; hdf5: boolean; described?: { group: string; info: GroupInfo } }
  | { t: 'described'; info: GroupInfo; hdf5: boolean }
  | { t: 'chunk'; buf: ArrayBuffer; length: number; count: number }
  | { t: 'end'; timing: InputTiming; hdf5: boolean }
  | { t: 'error'; message: string };

/** Main side: the input file read by a worker started from `entry` (the bundled cli.js). */
export class WorkerInputSource implements InputSource {
  readonly timing: InputTiming = { readMs: 0, encodeMs: 0 };
  readonly reader: InputReaderInfo = { thread: 'worker', hdf5Runtime: false };
  private readonly queue: ToMain[] = [];
  private wake: (() => void) | null = null;
  private groupNames: string[] = [];
  private early: { group: string; info: GroupInfo } | null = null;
  private exited: Error | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: ToMain) => this.push(m));
    worker.on('error', (err) => this.push({ t: 'error', message: err.message }));
    worker.on('exit', (code) => {
      this.exited = new Error(`the input reader stopped (exit code ${code})`);
      this.push({ t: 'error', message: this.exited.message });
    });
  }

  private push(m: ToMain): void {
    if ('hdf5' in m) this.reader.hdf5Runtime = m.hdf5;
    this.queue.push(m);
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async next(): Promise<ToMain> {
    while (this.queue.length === 0) await new Promise<void>((r) => (this.wake = r));
    const m = this.queue.shift()!;
    if (m.t === 'error') throw new Error(m.message);
    return m;
  }

  static async open(entry: string, path: string): Promise<WorkerInputSource> {
    const worker = new Worker(entry, {
      workerData: { kind: 'mrd-client-input-reader', file: path } satisfies ReaderBootData,
      // A small young generation: the worker allocates few, large buffers (keeps peak RSS low).
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    const src = new WorkerInputSource(worker);
    try {
      const m = await src.next();
      if (m.t !== 'opened') throw new Error(`unexpected reader message ${m.t}`);
      src.groupNames = m.groups;
      src.early = m.described ?? null;
    } catch (err) {
      void worker.terminate();
      throw err;
    }
    return src;
  }

  groups(): string[] {
    return this.groupNames;
  }

  async describe(group: string): Promise<GroupInfo> {
    if (this.early?.group === group) return this.early.info;
    this.worker.postMessage({ t: 'describe', group } satisfies ToWorker);
    const m = await this.next();
    if (m.t !== 'described') throw new Error(`unexpected reader message ${m.t}`);
    return m.info;
  }

  async *stream(kind: StreamKind, group: string, series?: string): AsyncGenerator<EncodedBatch> {
    this.worker.postMessage({ t: 'stream', kind, group, series } satisfies ToWorker);
    for (;;) {
      const m = await this.next();
      if (m.t === 'end') {
        this.timing.readMs += m.timing.readMs;
        this.timing.encodeMs += m.timing.encodeMs;
        return;
      }
      if (m.t !== 'chunk') throw new Error(`unexpected reader message ${m.t}`);
      const buf = m.buf;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.worker.postMessage({ t: 'more', buf } satisfies ToWorker, [buf]);
      };
      yield { bytes: new Uint8Array(buf, 0, m.length), count: m.count, release };
    }
  }

  async close(): Promise<void> {
    if (!this.exited) this.worker.postMessage({ t: 'close' } satisfies ToWorker);
    await new Promise<void>((r) => {
      const t = setTimeout(() => {
        void this.worker.terminate();
        r();
      }, 2000);
      this.worker.once('exit', () => {
        clearTimeout(t);
        r();
      });
      if (this.exited) {
        clearTimeout(t);
        r();
      }
    });
  }
}
