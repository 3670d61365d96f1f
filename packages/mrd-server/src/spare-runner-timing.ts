/**
 * When mrd-server boots the spare session runner (a worker thread, or a `-m` process) that the
 * next session takes. A boot costs 0.1-0.5 s of CPU and some thousand page faults; booted the
 * moment a session took the last spare, it competes for the cores with that very session (the
 * relay, the session thread and, on the same machine, the client) while it streams. So it is
 * booted once the running sessions are quiet (fewer than QUIET_BYTES moved in a QUIET_MS
 * window, longer than the computing at the end of most streamed sessions), or none is running,
 * or at once when a connection arrives and no runner is ready (docs/streaming-performance.md). Sequential sessions rarely need it: in worker mode a finished
 * session's worker waits for the next one.
 */

/** The window over which the running sessions' traffic is measured. */
export const QUIET_MS = 1000;
/** Bytes (in + out, all sessions) in one window below which the sessions count as quiet (10 MB/s). */
export const QUIET_BYTES = 10_000_000;

export interface SpareRunnerHooks {
  /** Whether a spare runner is wanted now (none ready, not draining). */
  needed(): boolean;
  /** Boots the spare runner. */
  boot(): void;
  /** Sessions running now. */
  sessions(): number;
  /** Bytes moved so far by the running sessions (any monotonic-per-session total). */
  traffic(): number;
}

export class SpareRunnerTiming {
  private timer: NodeJS.Timeout | null = null;
  private lastTraffic = 0;

  constructor(
    private readonly hooks: SpareRunnerHooks,
    private readonly quietMs = QUIET_MS,
    private readonly quietBytes = QUIET_BYTES,
  ) {}

  /** A session took the spare: boot another once the sessions are quiet. */
  whenQuiet(): void {
    if (this.timer || !this.hooks.needed()) return;
    this.lastTraffic = this.hooks.traffic();
    this.arm();
  }

  /** Boot now if one is needed (a connection is on its way to a session, or the server is idle). */
  now(): void {
    this.cancel();
    if (this.hooks.needed()) this.hooks.boot();
  }

  /** Whether a deferred boot is pending. */
  get pending(): boolean {
    return this.timer !== null;
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    this.timer = setTimeout(() => this.tick(), this.quietMs);
    this.timer.unref();
  }

  private tick(): void {
    this.timer = null;
    if (!this.hooks.needed()) return;
    const traffic = this.hooks.traffic();
    // A session that ended leaves the total: a fall is no traffic.
    const moved = Math.max(0, traffic - this.lastTraffic);
    this.lastTraffic = traffic;
    if (this.hooks.sessions() === 0 || moved < this.quietBytes) this.hooks.boot();
    else this.arm();
  }
}
