import { describe, expect, it } from 'vitest';
import type { MrdConnection, MrdMessage } from '@mrd-tools/core/connection';
import { SessionConnection } from './session-connection.js';

function fakeWire(msgs: MrdMessage[]): MrdConnection & { sent: MrdMessage[] } {
  const sent: MrdMessage[] = [];
  let i = 0;
  const w = {
    sent,
    [Symbol.asyncIterator]: () => ({
      next: async () => (i < msgs.length && msgs[i].type !== 'close' ? { done: false, value: msgs[i++] } : { done: true, value: undefined }),
    }),
    sendConfigFile: async () => {},
    sendConfigText: async () => {},
    sendHeader: async () => {},
    sendText: async (text: string) => void sent.push({ type: 'text', text }),
    sendLogging: async () => {},
    sendAcquisition: async () => {},
    sendImage: async () => {},
    sendWaveform: async () => {},
    sendClose: async () => void sent.push({ type: 'close' }),
  };
  return w as unknown as MrdConnection & { sent: MrdMessage[] };
}

const texts = (n: number): MrdMessage[] => Array.from({ length: n }, (_, i) => ({ type: 'text', text: `t${i}` }));

describe('SessionConnection', () => {
  it('yields a put-back message first, records every message once, survives a module breaking out of its loop', async () => {
    const seen: string[] = [];
    const c = new SessionConnection(fakeWire(texts(4)), (m) => void seen.push((m as { text: string }).text));
    const first = await c.next();
    c.unread(first!);
    const got: string[] = [];
    for await (const m of c) {
      got.push((m as { text: string }).text);
      if (got.length === 2) break;
    }
    for await (const m of c) got.push((m as { text: string }).text);
    expect(got).toEqual(['t0', 't1', 't2', 't3']);
    expect(seen).toEqual(['t0', 't1', 't2', 't3']);
    expect(c.isExhausted).toBe(true);
  });

  it('drain: lets the wire discard unseen only when allowed, after consuming the put-back messages', async () => {
    const make = () => {
      const w = fakeWire(texts(3)) as MrdConnection & { sent: MrdMessage[]; discardUntilClose?: () => Promise<number>; discarded?: number };
      w.discardUntilClose = async () => (w.discarded = 7);
      return w;
    };
    const seen: string[] = [];
    const w = make();
    const c = new SessionConnection(w, (m) => void seen.push((m as { text: string }).text), () => true);
    c.unread({ type: 'text', text: 'back' });
    await c.drain();
    // the put-back message is consumed (it was observed when first read), the rest discarded
    expect(seen).toEqual([]);
    expect(w.discarded).toBe(7);
    expect(c.received).toBe(7);
    expect(c.isExhausted).toBe(true);
    await c.drain();
    // not allowed (e.g. saving incoming data): every message is read and observed
    const seen2: string[] = [];
    const w2 = make();
    const c2 = new SessionConnection(w2, (m) => void seen2.push((m as { text: string }).text), () => false);
    await c2.drain();
    expect(w2.discarded).toBeUndefined();
    expect(seen2).toEqual(['t0', 't1', 't2']);
  });

  it('sends CLOSE at most once', async () => {
    const w = fakeWire([]);
    const c = new SessionConnection(w);
    await c.sendClose();
    await c.sendClose();
    expect(w.sent).toEqual([{ type: 'close' }]);
    expect(c.closeSent).toBe(true);
  });
});
