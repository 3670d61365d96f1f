/**
 * Respiratory and cardiac binning of the arms for XD-GRASP, as the reference's
 * spiral_xdgrasp_recon.py (generate_cyclic_respiratory_bins, generate_cardiac_bins,
 * extract_ecg_waveform and the pilot-tone trigger handling), with its unit and edge-case bugs
 * fixed (each noted where it is handled):
 * - acquisition_time_stamp and waveform time_stamp are 2.5 ms ticks (the reference multiplies
 *   their difference by 1e-3 as if they were milliseconds);
 * - a pilot-tone trigger delay shorter than one sample shifts nothing (the reference's
 *   `x[-0:] = 0` then clears every trigger);
 * - arm_discard_post = 0 keeps the last arm (the reference's `[n:-0]` keeps none);
 * - an ECG trigger after the last arm is dropped (the reference indexes past the end).
 * Bins are -1 for arms in no bin.
 */
import type { Waveform } from '@mrd-tools/core/messages';

const ECG_WAVEFORM_ID = 0;
const ECG_TRIGGER_CHANNEL = 4;
export const PILOT_TONE_WAVEFORM_ID = 1025;
const PT_OFFSET = 2 ** 31;
/** MRD time stamps tick every 2.5 ms */
const TICK_S = 2.5e-3;

/** numpy.round (half to even) */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * generate_cyclic_respiratory_bins: amplitude bins on the rising half (0 .. n/2-1) and mirrored
 * on the falling half (n-1 .. n/2), the resp_discard fraction of extreme samples excluded.
 */
export function cyclicRespiratoryBins(resp: ArrayLike<number>, nBins: number, respDiscard = 0): Int32Array {
  const n = resp.length;
  const sorted = Float64Array.from(resp).sort();
  const nDiscard = Math.trunc(n * respDiscard);
  const maxAmp = sorted[n - (Math.floor(nDiscard / 2) + 1)];
  const minAmp = sorted[Math.floor(nDiscard / 2)];
  const half = Math.floor(nBins / 2) - 1;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let b = (half * (resp[i] - minAmp)) / (maxAmp - minAmp);
    if (b > half || b < 0 || !Number.isFinite(b)) { out[i] = -1; continue; }
    b = roundHalfEven(b);
    const diff = resp[i] - (i === 0 ? 0 : resp[i - 1]);
    out[i] = diff < 0 ? nBins - 1 - b : b;
  }
  return out;
}

/**
 * generate_cardiac_bins: from each trigger (except the last), n bins of
 * floor(int(0.9 * shortest RR) / n) arms each; arms outside get -1.
 */
export function cardiacBins(triggers: ArrayLike<number>, nBins: number): Int32Array {
  const n = triggers.length;
  const idx: number[] = [];
  for (let i = 0; i < n; i++) if (triggers[i]) idx.push(i);
  const out = new Int32Array(n).fill(-1);
  if (idx.length < 2) return out;
  let minRr = Infinity;
  for (let k = 1; k < idx.length; k++) minRr = Math.min(minRr, idx[k] - idx[k - 1]);
  const window = Math.floor(Math.trunc(minRr * 0.9) / nBins) * nBins;
  const per = Math.floor(window / nBins);
  for (let beat = 0; beat < idx.length - 1; beat++) {
    for (let b = 0; b < nBins; b++) {
      for (let a = idx[beat] + b * per; a < Math.min(n, idx[beat] + (b + 1) * per); a++) out[a] = b;
    }
  }
  return out;
}

/** Channel `ch` of waveforms with `id`, concatenated in arrival order, and the first one's header. */
export function waveformChannel(waveforms: readonly Waveform[], id: number, ch: number): { values: Float64Array; first?: Waveform } {
  const parts: Float64Array[] = [];
  let first: Waveform | undefined;
  for (const w of waveforms) {
    if (w.head.waveform_id !== id) continue;
    first ??= w;
    const len = w.head.number_of_samples;
    if (ch >= w.head.channels) throw new Error(`waveform ${id} has ${w.head.channels} channels, channel ${ch} is needed`);
    parts.push(Float64Array.from(w.data.subarray(ch * len, (ch + 1) * len)));
  }
  const values = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { values.set(p, o); o += p.length; }
  return { values, first };
}

/**
 * extract_ecg_waveform: ECG triggers (waveform 0, channel 4 > 0) moved to the nearest arm
 * (arm j at j * TR after the first arm). Time stamps in 2.5 ms ticks (see the file header).
 */
export function ecgArmTriggers(waveforms: readonly Waveform[], firstArmStamp: number, nArms: number, trS: number): Int32Array {
  const { values, first } = waveformChannel(waveforms, ECG_WAVEFORM_ID, ECG_TRIGGER_CHANNEL);
  const out = new Int32Array(nArms);
  if (!first) return out;
  const dt = first.head.sample_time_us * 1e-6;
  const offset = (firstArmStamp - first.head.time_stamp) * TICK_S;
  for (let i = 0; i < values.length; i++) {
    if (!(values[i] > 0)) continue;
    const t = i * dt - offset;
    const j = Math.round(t / trS);
    if (j >= 0 && j < nArms) out[j] = 1;
  }
  return out;
}

/** Pilot-tone channel `ch` triggers ((value - 2^31) != 0), shifted earlier by delay // sample time. */
export function pilotToneTriggers(waveforms: readonly Waveform[], ch: number, delayS: number): Int32Array {
  const { values, first } = waveformChannel(waveforms, PILOT_TONE_WAVEFORM_ID, ch);
  if (!first) throw new Error(`no pilot-tone waveform (id ${PILOT_TONE_WAVEFORM_ID}) arrived`);
  const dt = first.head.sample_time_us * 1e-6;
  const roll = Math.floor(delayS / dt);
  const n = values.length;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const src = i + roll;
    if (src >= 0 && src < n) out[i] = values[src] - PT_OFFSET !== 0 ? 1 : 0;
  }
  return out;
}

/** Arms kept after discarding `pre` and `post` seconds: [start, end). */
export function armDiscardRange(nArms: number, preS: number, postS: number, trS: number): { start: number; end: number } {
  const pre = Math.floor(preS / trS), post = Math.floor(postS / trS);
  return { start: Math.min(nArms, pre), end: Math.max(Math.min(nArms, pre), nArms - post) };
}
