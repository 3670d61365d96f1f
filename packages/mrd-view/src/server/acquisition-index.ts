/**
 * A compact column index of a group's acquisition headers (flags and counters, ~40 bytes a
 * readout, so a million readouts take 40 MB), built once from the header-only reads, for the
 * table's filters, the k-space selection and the counter ranges the page offers.
 */
import type { AcquisitionHeader } from '@mrd-tools/core/headers';
import type { MrdFileReader } from '@mrd-tools/core/mrd-v2-file';

export const COUNTER_NAMES = ['kspace_encode_step_1', 'kspace_encode_step_2', 'average', 'slice', 'contrast', 'phase', 'repetition', 'set', 'segment'] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

/** What the table shows: readouts carrying every flag of `require`, none of `exclude`, counters within the ranges. */
export interface AcquisitionFilter {
  /** Flag numbers (1..64). */
  require?: number[];
  exclude?: number[];
  counters?: Partial<Record<CounterName, [number, number]>>;
}

export class AcquisitionIndex {
  readonly flagsLo: Uint32Array;
  readonly flagsHi: Uint32Array;
  readonly counters: Record<CounterName, Uint16Array>;
  readonly channels: Uint16Array;
  readonly samples: Uint16Array;
  readonly trajDims: Uint16Array;
  readonly timeStamp: Uint32Array;
  readonly physio0: Uint32Array;

  private constructor(readonly count: number) {
    this.flagsLo = new Uint32Array(count);
    this.flagsHi = new Uint32Array(count);
    this.counters = Object.fromEntries(COUNTER_NAMES.map((n) => [n, new Uint16Array(count)])) as Record<CounterName, Uint16Array>;
    this.channels = new Uint16Array(count);
    this.samples = new Uint16Array(count);
    this.trajDims = new Uint16Array(count);
    this.timeStamp = new Uint32Array(count);
    this.physio0 = new Uint32Array(count);
  }

  static async build(file: MrdFileReader, group: string): Promise<AcquisitionIndex> {
    const ix = new AcquisitionIndex(file.acquisitionCount(group));
    let i = 0;
    const fields = ['flags', 'idx', 'active_channels', 'number_of_samples', 'trajectory_dimensions', 'acquisition_time_stamp', 'physiology_time_stamp'] as const;
    for await (const batch of file.acquisitionHeaderFieldBatches(group, fields)) {
      for (const h of batch as Pick<AcquisitionHeader, (typeof fields)[number]>[]) {
        ix.flagsLo[i] = Number(h.flags & 0xffffffffn);
        ix.flagsHi[i] = Number(h.flags >> 32n);
        for (const n of COUNTER_NAMES) ix.counters[n][i] = h.idx[n];
        ix.channels[i] = h.active_channels;
        ix.samples[i] = h.number_of_samples;
        ix.trajDims[i] = h.trajectory_dimensions;
        ix.timeStamp[i] = h.acquisition_time_stamp;
        ix.physio0[i] = h.physiology_time_stamp[0] ?? 0;
        i++;
      }
    }
    return ix;
  }

  hasFlag(i: number, flag: number): boolean {
    const b = flag - 1;
    return b < 32 ? ((this.flagsLo[i]! >>> b) & 1) === 1 : ((this.flagsHi[i]! >>> (b - 32)) & 1) === 1;
  }

  /** Indices of the readouts the filter keeps, in file order. */
  select(f: AcquisitionFilter): Uint32Array {
    const req = f.require ?? [];
    const exc = f.exclude ?? [];
    const ranges = Object.entries(f.counters ?? {}) as [CounterName, [number, number]][];
    const mask = (flags: number[]): [number, number] => {
      let lo = 0;
      let hi = 0;
      for (const fl of flags) {
        if (!Number.isInteger(fl) || fl < 1 || fl > 64) throw new RangeError(`flag ${fl} is not in 1..64`);
        if (fl <= 32) lo |= 1 << (fl - 1);
        else hi |= 1 << (fl - 33);
      }
      return [lo >>> 0, hi >>> 0];
    };
    const [rlo, rhi] = mask(req);
    const [elo, ehi] = mask(exc);
    const out = new Uint32Array(this.count);
    let n = 0;
    for (let i = 0; i < this.count; i++) {
      const lo = this.flagsLo[i]!;
      const hi = this.flagsHi[i]!;
      if (((lo & rlo) >>> 0) !== rlo || ((hi & rhi) >>> 0) !== rhi) continue;
      if ((lo & elo) !== 0 || (hi & ehi) !== 0) continue;
      let ok = true;
      for (const [name, [min, max]] of ranges) {
        const v = this.counters[name][i]!;
        if (v < min || v > max) {
          ok = false;
          break;
        }
      }
      if (ok) out[n++] = i;
    }
    return out.slice(0, n);
  }

  /** Counter ranges over the readouts that are not noise (flag 19), and the flags that occur with their counts. */
  summary(): { counters: Record<string, [number, number]>; flags: Record<number, number>; noise: number } {
    const counters: Record<string, [number, number]> = {};
    const flags: Record<number, number> = {};
    let noise = 0;
    for (let i = 0; i < this.count; i++) {
      for (let b = 1; b <= 64; b++) if (this.hasFlag(i, b)) flags[b] = (flags[b] ?? 0) + 1;
      if (this.hasFlag(i, 19)) {
        noise++;
        continue;
      }
      for (const n of COUNTER_NAMES) {
        const v = this.counters[n][i]!;
        const r = counters[n];
        if (!r) counters[n] = [v, v];
        else {
          if (v < r[0]) r[0] = v;
          if (v > r[1]) r[1] = v;
        }
      }
    }
    return { counters, flags, noise };
  }
}

/** Parses the page's filter (JSON in the query string); throws a RangeError naming what is wrong. */
export function parseFilter(text: string | null): AcquisitionFilter | null {
  if (!text) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new RangeError('filter is not JSON');
  }
  const f = v as AcquisitionFilter;
  const ints = (a: unknown, what: string) => {
    if (a === undefined) return;
    if (!Array.isArray(a) || a.some((x) => !Number.isInteger(x) || x < 1 || x > 64)) throw new RangeError(`filter.${what} must be flag numbers 1..64`);
  };
  ints(f.require, 'require');
  ints(f.exclude, 'exclude');
  for (const [k, r] of Object.entries(f.counters ?? {})) {
    if (!(COUNTER_NAMES as readonly string[]).includes(k)) throw new RangeError(`filter.counters: unknown counter ${k}`);
    if (!Array.isArray(r) || r.length !== 2 || !r.every(Number.isFinite)) throw new RangeError(`filter.counters.${k} must be [min, max]`);
  }
  return f;
}
