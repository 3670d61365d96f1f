import { describe, expect, it } from 'vitest';
import type { MrdConnection, MrdMessage } from '@mrd-tools/core';
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

  it('sends CLOSE at most once', async () => {
    const w = fakeWire([]);
    const c = new SessionConnection(w);
    await c.sendClose();
    await c.sendClose();
    expect(w.sent).toEqual([{ type: 'close' }]);
    expect(c.closeSent).toBe(true);
  });
});
