import { describe, expect, it } from 'vitest';
import { terminalLogSink } from './status-line.js';
import { LogLevel } from '@mrd-tools/core/logging';

function stream(isTTY: boolean): { s: NodeJS.WriteStream; out: string[] } {
  const out: string[] = [];
  return { s: { isTTY, columns: 200, write: (t: string) => (out.push(t), true) } as unknown as NodeJS.WriteStream, out };
}

const lines = [
  '2026-01-01 10:00:00,000 -     INFO     rtspiral_bart_tvrecon: TV solve (200 frames in 5 chunk(s), 120 CG steps each): started, elapsed 1m02s',
  '2026-01-01 10:00:05,000 -     INFO     rtspiral_bart_tvrecon: TV solve: chunk 1 of 5, CG step 12 of 130 (1%), elapsed 1m07s, about 8m10s left in this stage',
  '2026-01-01 10:00:10,000 -     INFO     rtspiral_bart_tvrecon: TV solve: chunk 1 of 5, CG step 24 of 130 (3%), elapsed 1m12s, about 8m05s left in this stage',
  '2026-01-01 10:09:00,000 -     INFO     rtspiral_bart_tvrecon: reconstruction of 200 frames finished, sending them in 10m02s',
];

describe('terminalLogSink', () => {
  it('on a terminal: progress updates are one status line redrawn in place, erased before the next plain line', () => {
    const { s, out } = stream(true);
    const sink = terminalLogSink(s);
    for (const l of lines) sink(l, LogLevel.INFO);
    expect(out).toEqual([
      lines[0] + '\n',
      `\r\x1b[2K${lines[1]}`,
      `\r\x1b[2K${lines[2]}`,
      '\r\x1b[2K',
      lines[3] + '\n',
    ]);
  });

  it('not on a terminal: every line as it comes', () => {
    const { s, out } = stream(false);
    const sink = terminalLogSink(s);
    for (const l of lines) sink(l, LogLevel.INFO);
    expect(out).toEqual(lines.map((l) => l + '\n'));
  });
});
