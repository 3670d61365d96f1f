/**
 * Adds one plain closing line to vitest's output, `tests: N passed, N failed, N skipped`, the
 * form CI log readers understand whatever the runner.
 */
import type { Reporter } from 'vitest/reporters';

interface TaskLike {
  type: string;
  mode?: string;
  result?: { state?: string };
  tasks?: TaskLike[];
}

export default class SummaryReporter implements Reporter {
  constructor(private readonly label = 'tests') {}

  onFinished(files: TaskLike[] = []): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const visit = (t: TaskLike) => {
      if (t.tasks) t.tasks.forEach(visit);
      if (t.type !== 'test') return;
      if (t.mode === 'skip' || t.mode === 'todo' || t.result?.state === 'skip') skipped++;
      else if (t.result?.state === 'pass') passed++;
      else failed++;
    };
    files.forEach(visit);
    // A file that failed to load has no tests: count it as a failure.
    for (const f of files) if (f.result?.state === 'fail' && !(f.tasks && f.tasks.length)) failed++;
    process.stdout.write(`\n${this.label}: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
