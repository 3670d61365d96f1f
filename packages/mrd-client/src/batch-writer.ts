/**
 * The client's sending side for batches of wire bytes (acquisitions, waveforms, images read by
 * the input reader): queued to the socket back to back, a few in flight, each batch's buffer
 * released to the reader once the kernel has it.
 */
import type { Socket } from 'node:net';
import type { EncodedBatch } from './input-source.js';

/** Thrown in the send loop when the server has ended the session (its CLOSE arrived): sending stops. */
export class ServerEndedSession extends Error {}

/** Batches handed to the socket and not yet taken by the kernel, at most (the reader's credits bound them too). */
const WRITES_IN_FLIGHT = 4;

/**
 * Writes batches to the socket without waiting for each to be taken: the next batch is queued
 * behind the previous one, so the socket never runs dry between batches (reading and sending
 * overlap fully). A batch's buffer is released for reuse once the kernel has it (the write
 * callback); `write` waits only while WRITES_IN_FLIGHT batches are queued, `drain` until all are
 * taken. The time spent waiting is the send wait phase (the server's pace); the time between
 * the socket taking all it was given and the next batch (the reader's pace) is the socket idle
 * phase.
 */
export class BatchWriter {
  private inFlight = 0;
  private failed: Error | null = null;
  private wake: (() => void) | null = null;
  /** When the last batch in flight was taken (nothing left to send), until the next write. */
  private idleSince: number | null = null;

  constructor(
    private readonly socket: Pick<Socket, 'write' | 'destroyed' | 'writableEnded'>,
    private readonly serverEnded: () => boolean,
    private readonly phases: { sendWaitMs: number; socketIdleMs: number; readerWaitMs: number },
  ) {}

  /**
   * Writes every batch of `batches` (the reader's stream of one kind) and waits until the kernel
   * has them all; `onBatch` is told each batch's message count once it is queued. The time spent
   * waiting for the reader's next batch is the reader wait phase.
   */
  async sendAll(batches: AsyncGenerator<EncodedBatch>, onBatch: (count: number) => void): Promise<void> {
    try {
      for (;;) {
        const t0 = performance.now();
        const next = await batches.next();
        this.phases.readerWaitMs += performance.now() - t0;
        if (next.done) break;
        await this.write(next.value);
        onBatch(next.value.count);
      }
    } finally {
      await batches.return(undefined);
    }
    await this.drain();
  }

  async write(batch: EncodedBatch): Promise<void> {
    if (this.serverEnded()) throw new ServerEndedSession('the server ended the session');
    if (this.failed) throw this.failed;
    if (this.socket.destroyed || this.socket.writableEnded) throw new Error('connection closed');
    if (this.idleSince !== null) this.phases.socketIdleMs += performance.now() - this.idleSince;
    this.idleSince = null;
    this.inFlight++;
    this.socket.write(batch.bytes, (err) => {
      this.inFlight--;
      if (this.inFlight === 0) this.idleSince = performance.now();
      if (err) this.failed ??= err;
      else batch.release?.();
      const w = this.wake;
      this.wake = null;
      w?.();
    });
    await this.waitUntil(WRITES_IN_FLIGHT - 1);
  }

  /** Waits until every batch written is taken by the kernel. */
  drain(): Promise<void> {
    return this.waitUntil(0);
  }

  private async waitUntil(maxInFlight: number): Promise<void> {
    if (this.inFlight > maxInFlight && !this.failed) {
      const t0 = performance.now();
      while (this.inFlight > maxInFlight && !this.failed) await new Promise<void>((r) => (this.wake = r));
      this.phases.sendWaitMs += performance.now() - t0;
    }
    if (this.failed) throw this.failed;
  }
}
