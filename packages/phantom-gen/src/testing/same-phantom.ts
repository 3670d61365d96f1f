/**
 * The acceptance comparison of our MRD v2 phantom with upstream's (`mrd.tools.phantom`): the
 * header and every acquisition header and trajectory equal, the data of every readout within
 * `tolerance` of that readout's largest magnitude (1e-5: float32 FFT against numpy's float64 one).
 * Used by the unit, e2e and interop tests.
 */
import type { Acquisition, Header, StreamItem } from '@mrd-tools/core/mrd-v2';

export interface PhantomStreamDifferences {
  /** What differs, one line each (empty: the same phantom). */
  problems: string[];
  /** Largest per-readout max |ours - theirs| / max |theirs|. */
  worstRelative: number;
}

export function mrdV2PhantomDifferences(
  ours: { header: Header | undefined; items: StreamItem[] },
  theirs: { header: Header | undefined; items: StreamItem[] },
  tolerance = 1e-5,
): PhantomStreamDifferences {
  const problems: string[] = [];
  let worstRelative = 0;
  if (!same(ours.header, theirs.header)) problems.push(`header differs: ${JSON.stringify(ours.header, big)} vs ${JSON.stringify(theirs.header, big)}`);
  if (ours.items.length !== theirs.items.length) problems.push(`${ours.items.length} items vs ${theirs.items.length}`);
  const n = Math.min(ours.items.length, theirs.items.length);
  for (let i = 0; i < n && problems.length < 20; i++) {
    const x = ours.items[i]!;
    const y = theirs.items[i]!;
    if (x.type !== 'acquisition' || y.type !== 'acquisition') {
      problems.push(`item ${i}: ${x.type} vs ${y.type}`);
      continue;
    }
    const a: Acquisition = x.value;
    const b: Acquisition = y.value;
    if (!same(a.head, b.head)) problems.push(`item ${i}: head ${JSON.stringify(a.head, big)} vs ${JSON.stringify(b.head, big)}`);
    if (!same(a.trajectory, b.trajectory)) problems.push(`item ${i}: trajectory differs (shape ${a.trajectory.shape} vs ${b.trajectory.shape})`);
    if (!same(a.phase, b.phase)) problems.push(`item ${i}: phase differs`);
    if (!same(a.data.shape, b.data.shape)) {
      problems.push(`item ${i}: data shape ${a.data.shape} vs ${b.data.shape}`);
      continue;
    }
    let maxRef = 0;
    let maxDiff = 0;
    for (let k = 0; k < b.data.data.length; k++) {
      maxRef = Math.max(maxRef, Math.abs(b.data.data[k]!));
      maxDiff = Math.max(maxDiff, Math.abs(a.data.data[k]! - b.data.data[k]!));
    }
    const rel = maxRef > 0 ? maxDiff / maxRef : maxDiff > 0 ? Infinity : 0;
    worstRelative = Math.max(worstRelative, rel);
    if (rel > tolerance) problems.push(`item ${i}: data differs by ${rel.toExponential(2)} of its largest value`);
  }
  return { problems, worstRelative };
}

function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}

/** Deep equality as the model means it: an absent optional equals `undefined`, key order is free, typed arrays compare element by element. */
function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b) || Array.isArray(a) || Array.isArray(b)) {
    const x = a as ArrayLike<unknown>;
    const y = b as ArrayLike<unknown>;
    if (Array.isArray(a) !== Array.isArray(b) || x.length !== y.length || (ArrayBuffer.isView(a) && a.constructor !== b.constructor)) return false;
    for (let i = 0; i < x.length; i++) if (!same(x[i], y[i])) return false;
    return true;
  }
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map && b instanceof Map) || a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !same(v, b.get(k))) return false;
    return true;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (!same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}
