/** The human-readable form of a `Summary` (mrd-info without --json). */
import type { GroupSummary, Range, Space, Summary } from './summary.js';

function range(r: Range): string {
  return r.min === r.max ? `${r.min}` : `${r.min}..${r.max}`;
}

function size(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

function space(s: Space): string {
  return `${s.matrix.join(' x ')} matrix, ${s.fov_mm.map((v) => +v.toPrecision(6)).join(' x ')} mm FOV`;
}

function list(values: (string | number)[]): string {
  return values.length ? values.join(', ') : '-';
}

function group(g: GroupSummary, out: string[]): void {
  out.push('', `Group ${g.name}`);
  const h = g.header;
  if (!h) out.push('  XML header: none');
  else if (h.error) out.push(`  XML header: not a valid ISMRMRD header (${h.error})`);
  else {
    const s = h.system;
    const sys = [s.vendor, s.model].filter(Boolean).join(' ') || 'unknown system';
    const field = s.field_strength_T !== null ? `, ${s.field_strength_T} T` : '';
    const ch = s.receiver_channels !== null ? `, ${s.receiver_channels} receiver channels` : '';
    out.push(`  System: ${sys}${field}${ch}${s.institution ? ` (${s.institution})` : ''}`);
    if (h.h1_resonance_frequency_Hz !== null) out.push(`  H1 resonance frequency: ${h.h1_resonance_frequency_Hz} Hz`);
    if (h.protocol_name || h.patient_position) out.push(`  Measurement: ${[h.protocol_name, h.patient_position].filter(Boolean).join(', ')}`);
    h.encodings.forEach((e, i) => {
      out.push(`  Encoding ${i}: ${e.trajectory}${e.trajectory_description ? ` (${e.trajectory_description})` : ''}`);
      out.push(`    encoded space: ${space(e.encoded_space)}`);
      out.push(`    recon space:   ${space(e.recon_space)}`);
      const lim = Object.entries(e.limits).filter(([, l]) => l.max > 0 || l.min > 0);
      out.push(`    encoding limits: ${lim.length ? lim.map(([n, l]) => `${n} ${l.min}..${l.max} (center ${l.center})`).join(', ') : 'all 0'}`);
      const pi = e.parallel_imaging;
      out.push(`    parallel imaging: ${pi ? `R ${pi.acceleration.join(' x ')}${pi.calibration_mode ? `, calibration ${pi.calibration_mode}` : ''}${pi.interleaving_dimension ? `, interleaved in ${pi.interleaving_dimension}` : ''}` : 'none'}`);
    });
    const q = h.sequence;
    const seq = [q.type, q.TR_ms.length && `TR ${q.TR_ms.join('/')} ms`, q.TE_ms.length && `TE ${q.TE_ms.join('/')} ms`, q.TI_ms.length && `TI ${q.TI_ms.join('/')} ms`, q.flip_angle_deg.length && `flip ${q.flip_angle_deg.join('/')} deg`].filter(Boolean);
    if (seq.length) out.push(`  Sequence: ${seq.join(', ')}`);
  }
  const a = g.acquisitions;
  if (!a) out.push('  Acquisitions: none');
  else {
    out.push(`  Acquisitions: ${a.count} (${a.noise} noise)`);
    out.push(`    channels ${range(a.channels)}, samples ${range(a.samples)}, trajectory dimensions ${range(a.trajectory_dimensions)}, dwell ${range(a.sample_time_us)} us, encoding space ${list(a.encoding_space_refs)}`);
    const flags = Object.entries(a.flags);
    out.push(`    flags: ${flags.length ? flags.map(([n, c]) => `${n} ${c}`).join(', ') : 'none'}`);
    if (a.counters) out.push(`    counters: ${Object.entries(a.counters).map(([n, r]) => `${n} ${range(r)}`).join(', ')}`);
  }
  if (!g.image_series.length) out.push('  Image series: none');
  for (const s of g.image_series) {
    out.push(`  Image series ${s.name}: ${s.count} images of ${s.matrix_sizes.map((m) => m.join('x')).join(', ') || '-'}, ${list(s.channels)} channel(s), ${list(s.image_types)}, ${list(s.data_types)}, series index ${list(s.series_indices)}`);
    if (s.counters) {
      const c = Object.entries(s.counters).filter(([, r]) => r.max > 0);
      if (c.length) out.push(`    counters: ${c.map(([n, r]) => `${n} ${range(r)}`).join(', ')}`);
    }
  }
  const w = g.waveforms;
  if (!w) out.push('  Waveforms: none');
  else {
    out.push(`  Waveforms: ${w.count}`);
    for (const b of w.by_id) out.push(`    id ${b.id}${b.name ? ` (${b.name})` : ''}: ${b.count} waveforms, ${list(b.channels)} channel(s), ${range(b.samples)} samples, ${range(b.sample_time_us)} us per sample`);
  }
  for (const d of g.other_datasets) out.push(`  Dataset ${d.name}: ${d.type} (${d.shape.join(' x ') || 'scalar'})`);
}

/** `format`: what the file is when it is not HDF5 (said after its size). */
export function formatSummary(s: Summary, format?: string): string {
  const out = [`File: ${s.file} (${size(s.size_bytes)}${format ? `, ${format}` : ''})`, `Groups: ${s.groups.map((g) => g.name).join(', ') || 'none'}`];
  for (const g of s.groups) group(g, out);
  return out.join('\n') + '\n';
}
