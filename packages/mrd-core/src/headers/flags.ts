/**
 * Flag helpers for the 64-bit `flags` fields. Flags are numbered from 1 as in ISMRMRD: flag `n`
 * is bit `n - 1` (ismrmrd_is_flag_set / ismrmrd_set_flag / ismrmrd_clear_flag).
 */
import type { AcquisitionFlag, ImageFlag } from '../constants/index.js';
import type { AcquisitionHeader, ImageHeader } from './types.js';

function bitOf(flag: number): bigint {
  if (!Number.isInteger(flag) || flag < 1 || flag > 64) throw new RangeError(`flag ${flag} is not in 1..64`);
  return 1n << BigInt(flag - 1);
}

export function isFlagSet(flags: bigint, flag: number): boolean {
  return (flags & bitOf(flag)) !== 0n;
}
export function withFlag(flags: bigint, flag: number): bigint {
  return BigInt.asUintN(64, flags | bitOf(flag));
}
function withoutFlag(flags: bigint, flag: number): bigint {
  return BigInt.asUintN(64, flags & ~bitOf(flag));
}

export function isAcquisitionFlagSet(head: AcquisitionHeader, flag: AcquisitionFlag): boolean {
  return isFlagSet(head.flags, flag);
}
export function setAcquisitionFlag(head: AcquisitionHeader, flag: AcquisitionFlag): void {
  head.flags = withFlag(head.flags, flag);
}
export function clearAcquisitionFlag(head: AcquisitionHeader, flag: AcquisitionFlag): void {
  head.flags = withoutFlag(head.flags, flag);
}
export function clearAllAcquisitionFlags(head: AcquisitionHeader): void {
  head.flags = 0n;
}

export function isImageFlagSet(head: ImageHeader, flag: ImageFlag): boolean {
  return isFlagSet(head.flags, flag);
}
export function setImageFlag(head: ImageHeader, flag: ImageFlag): void {
  head.flags = withFlag(head.flags, flag);
}
export function clearImageFlag(head: ImageHeader, flag: ImageFlag): void {
  head.flags = withoutFlag(head.flags, flag);
}
export function clearAllImageFlags(head: ImageHeader): void {
  head.flags = 0n;
}

/** Channel mask helpers (channel `c` is bit c%64 of channel_mask[c/64]), as ismrmrd_set_channel_on. */
export function isChannelOn(head: AcquisitionHeader, channel: number): boolean {
  const w = head.channel_mask[Math.floor(channel / 64)] ?? 0n;
  return ((w >> BigInt(channel % 64)) & 1n) === 1n;
}
export function setChannelOn(head: AcquisitionHeader, channel: number): void {
  const i = Math.floor(channel / 64);
  head.channel_mask[i] = BigInt.asUintN(64, (head.channel_mask[i] ?? 0n) | (1n << BigInt(channel % 64)));
}
export function setChannelOff(head: AcquisitionHeader, channel: number): void {
  const i = Math.floor(channel / 64);
  head.channel_mask[i] = BigInt.asUintN(64, (head.channel_mask[i] ?? 0n) & ~(1n << BigInt(channel % 64)));
}
