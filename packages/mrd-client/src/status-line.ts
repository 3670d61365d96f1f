/**
 * The client's stdout log on a terminal: progress updates a server sends for a long recon
 * ("rtspiral_bart_tvrecon: TV solve: chunk 2 of 5, CG step 40 of 121 (28%), elapsed ...", see
 * @mrd-tools/core ProgressReport) are drawn as one status line, redrawn in place by the next
 * update and erased before any other line; everything else is printed as it comes. Not on a
 * terminal, every line is printed as it comes (a log file or a pipe keeps all updates).
 */
import { isProgressUpdate } from '@mrd-tools/recon-api/progress';
import type { LogSink } from '@mrd-tools/core/logging';

export function terminalLogSink(stream: NodeJS.WriteStream = process.stdout): LogSink {
  let shown = false;
  return (line) => {
    if (stream.isTTY && isProgressUpdate(line)) {
      const width = Math.max(20, (stream.columns || 80) - 1);
      const text = line.length > width ? line.slice(0, width - 1) + '…' : line;
      stream.write(`\r\x1b[2K${text}`);
      shown = true;
      return;
    }
    if (shown) {
      stream.write('\r\x1b[2K');
      shown = false;
    }
    stream.write(line + '\n');
  };
}
