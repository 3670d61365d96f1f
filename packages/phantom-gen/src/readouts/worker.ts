/**
 * The phantom generator's pool worker (`phantom-worker.js`, bundled beside dist/cli.js by
 * scripts/build.mjs): fills its units of a chunk of readouts in the shared output (./fill.ts).
 */
import { fillReadouts, type ReadoutFillTask } from './fill.js';

export default function run(task: ReadoutFillTask): void {
  if (task.kind !== 'phantom-readouts') throw new Error(`phantom worker: unknown task ${(task as { kind: string }).kind}`);
  fillReadouts(task);
}
