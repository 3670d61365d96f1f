/**
 * Batch reprocessing: runs one client session per input, `jobs` at once, and reports the batch.
 *
 * Each attempt writes into a temporary file beside the output (`.<name>.<pid>-<attempt>.partial`),
 * never into the output itself, so that a session that has to be retried, or a batch that is
 * interrupted, never leaves half a result group in an output. When the session ends, the file
 * becomes the output (a hard link, so an output that appeared meanwhile is never replaced) or, if
 * the output exists already, its group is added to it (the single-input rule: an existing file
 * is kept and gets a new group). A session that failed keeps what arrived, marked incomplete,
 * as a single session does. An MRD v2 output (an MRD v2 input's, or `--output-format`) holds one
 * stream and no groups: it must be a new file, written only when its session completed, and
 * `--skip-existing` skips one that exists. Retries: retry-policy.ts. `--skip-existing`:
 * output-state.ts.
 */
import { existsSync, linkSync, rmSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientOptions, ClientSummary } from '../client.js';
import { pythonNowString } from '../out-group.js';
import { BatchConsole, bar, inSessionOf } from './batch-console.js';
import type { BatchItem } from './batch-inputs.js';
import { copyResultGroup } from './group-copy.js';
import { isMrdV2Input } from '../output-format.js';
import { outputState } from './output-state.js';
import { REFUSAL_WINDOW_MS, retryDecision } from './retry-policy.js';

export type BatchSessionOptions = Omit<ClientOptions, 'filename' | 'outfile' | 'outGroup' | 'progress' | 'earlyReader'>;

export interface BatchOptions {
  items: BatchItem[];
  /** `-G`: the result group in every output (default: the date and time each session starts). */
  group?: string;
  jobs: number;
  retries: number;
  skipExisting: boolean;
  session: BatchSessionOptions;
  console: BatchConsole;
  /** Runs one session (mrd-client's runClient; replaceable in tests). */
  run: (o: ClientOptions) => Promise<ClientSummary>;
}

export interface BatchResult {
  ok: string[];
  failed: { name: string; reason: string }[];
  skipped: string[];
  /** New sessions opened after a failed one. */
  retries: number;
  /** Input bytes of the inputs reconstructed. */
  bytes: number;
  seconds: number;
}

type ItemOutcome = { kind: 'ok' } | { kind: 'skipped'; why: string } | { kind: 'failed'; reason: string };

function tempPathFor(item: BatchItem, attempt: number): string {
  return join(dirname(item.output), `.${basename(item.output)}.${process.pid}-${attempt}.partial`);
}

/**
 * Makes the attempt's file the output: linked into place when absent, else its group added (an
 * MRD v2 output that appeared meanwhile is kept, and the attempt's file removed).
 */
async function publish(temp: string, group: string, output: string, format: BatchItem['format']): Promise<void> {
  try {
    linkSync(temp, output);
    unlinkSync(temp);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    if (format !== 'hdf5') {
      rmSync(temp, { force: true });
      throw new Error(`${output} appeared while its session ran (an MRD v2 output must be a new file); it is kept, this session's result is not`);
    }
  }
  await copyResultGroup(temp, group, output);
  rmSync(temp, { force: true });
}

/** Why an input with an MRD v2 output is not run (the output exists), or null to run it. */
function v2OutputExists(item: BatchItem, skipExisting: boolean): ItemOutcome | null {
  if (!existsSync(item.output)) return null;
  if (!isMrdV2Input(item.output)) return { kind: 'failed', reason: `${item.output} exists and is not an MRD v2 file (the output of ${item.name} is MRD v2: remove that file, or choose another -o or --output-format)` };
  if (skipExisting) return { kind: 'skipped', why: `${item.output} exists (an MRD v2 output is written only when its session completed)` };
  return { kind: 'failed', reason: `${item.output} exists (an MRD v2 output holds one stream: remove it, choose another -o, or --skip-existing)` };
}

export async function runBatch(o: BatchOptions): Promise<BatchResult> {
  const t0 = performance.now();
  const result: BatchResult = { ok: [], failed: [], skipped: [], retries: 0, bytes: 0, seconds: 0 };
  const total = o.items.length;
  let running = 0;
  const mbps = () => result.bytes / 1e6 / Math.max(1e-3, (performance.now() - t0) / 1000);
  const showStatus = () => {
    const done = result.ok.length + result.failed.length + result.skipped.length;
    const notes = [result.failed.length ? `${result.failed.length} failed` : '', result.skipped.length ? `${result.skipped.length} skipped` : ''].filter(Boolean);
    o.console.setStatus(`${bar(done / total, 20)} ${done}/${total} done${notes.length ? ` (${notes.join(', ')})` : ''}, ${running} running, ${mbps().toFixed(1)} MB/s`);
  };

  const processItem = async (item: BatchItem): Promise<ItemOutcome> => {
    if (item.format !== 'hdf5') {
      const exists = v2OutputExists(item, o.skipExisting);
      if (exists) return exists;
    }
    const state = item.format === 'hdf5' ? await outputState(item.output, o.group) : { kind: 'absent' as const };
    if (o.skipExisting && state.kind === 'complete') return { kind: 'skipped', why: `${item.output} is complete (group '${state.group}')` };
    if (state.kind === 'unreadable') return { kind: 'failed', reason: `${item.output} exists and is not an MRD file results can be added to (${state.message})` };
    if (o.group && (state.kind === 'complete' || (state.kind === 'incomplete' && state.groups.includes(o.group)))) {
      return { kind: 'failed', reason: `${item.output} already has a group '${o.group}'${state.kind === 'incomplete' ? ' (incomplete)' : ''}: remove that file or choose another -G${state.kind === 'complete' ? ' (or --skip-existing)' : ''}` };
    }
    let gone = 0;
    let refusals = 0;
    let firstRefusal = 0;
    for (let attempt = 1; ; attempt++) {
      const temp = tempPathFor(item, attempt);
      const outGroup = o.group ?? pythonNowString();
      try {
        await inSessionOf(item.name, () => o.run({ ...o.session, filename: item.input, outfile: temp, outGroup, progress: false, earlyReader: null, outputFormat: item.format }));
        await publish(temp, outGroup, item.output, item.format);
        return { kind: 'ok' };
      } catch (err) {
        const decision = retryDecision(err, refusals);
        if (decision.retry && decision.kind === 'refused' && refusals === 0) firstRefusal = Date.now();
        const again = decision.retry && (decision.kind === 'gone' ? gone < o.retries : Date.now() - firstRefusal < REFUSAL_WINDOW_MS);
        if (decision.retry && again) {
          rmSync(temp, { force: true });
          result.retries++;
          const which = decision.kind === 'gone' ? `retry ${++gone} of ${o.retries}` : `refused ${++refusals} time${refusals === 1 ? '' : 's'}`;
          o.console.line(`${item.name}: ${decision.why}; new session in ${(decision.delayMs / 1000).toFixed(1)} s (${which})`);
          await sleep(decision.delayMs);
          continue;
        }
        // What arrived is kept, marked incomplete, in the output (as a single session keeps it).
        let reason = ((err as Error)?.message ?? String(err)).split(temp).join(item.output);
        if (existsSync(temp)) {
          try {
            await publish(temp, outGroup, item.output, item.format);
          } catch (e) {
            reason += ` (what arrived is left in ${temp}: ${(e as Error).message})`;
          }
        }
        if (decision.retry) reason += decision.kind === 'gone' ? ` (after ${o.retries} ${o.retries === 1 ? 'retry' : 'retries'})` : ` (refused for ${Math.round(REFUSAL_WINDOW_MS / 60_000)} minutes)`;
        return { kind: 'failed', reason };
      }
    }
  };

  let next = 0;
  const worker = async () => {
    while (next < total) {
      const item = o.items[next++]!;
      running++;
      showStatus();
      const started = performance.now();
      let outcome: ItemOutcome;
      try {
        outcome = await processItem(item);
      } catch (err) {
        outcome = { kind: 'failed', reason: (err as Error)?.message ?? String(err) };
      }
      running--;
      const secs = ((performance.now() - started) / 1000).toFixed(1);
      if (outcome.kind === 'ok') {
        result.ok.push(item.name);
        result.bytes += item.bytes;
        o.console.line(`${item.name}: ok -> ${item.output} (${secs} s)`);
      } else if (outcome.kind === 'skipped') {
        result.skipped.push(item.name);
        o.console.line(`${item.name}: skipped: ${outcome.why}`);
      } else {
        result.failed.push({ name: item.name, reason: outcome.reason });
        o.console.problem(`${item.name}: failed: ${outcome.reason}`);
      }
      showStatus();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.jobs, total)) }, worker));
  result.seconds = (performance.now() - t0) / 1000;
  o.console.finish();
  return result;
}

/** The one summary line of a batch. */
export function batchSummary(r: BatchResult, total: number): string {
  const mb = r.bytes / 1e6;
  return `Batch of ${total} inputs done in ${r.seconds.toFixed(1)} s: ${r.ok.length} ok, ${r.failed.length} failed, ${r.skipped.length} skipped; ` +
    `${mb.toFixed(1)} MB of input reconstructed (${(mb / Math.max(1e-3, r.seconds)).toFixed(1)} MB/s)` +
    `${r.retries ? `; ${r.retries} ${r.retries === 1 ? 'session' : 'sessions'} retried` : ''}`;
}
