import { createServer, connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { parseProxyHeader, proxyHeaderLength, readProxyHeader, ProxyHeaderError } from './proxy-protocol.js';

/** A v2 header built by hand from the spec (section 2.2), with `tlv` bytes after the addresses. */
function v2Header(o: { command?: 'LOCAL' | 'PROXY'; family: 'inet' | 'inet6' | 'unspec'; src?: number[]; dst?: number[]; sport?: number; dport?: number; tlv?: number[] }): Buffer {
  const sig = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
  const ver = 0x20 | (o.command === 'LOCAL' ? 0 : 1);
  const fam = o.family === 'inet' ? 0x11 : o.family === 'inet6' ? 0x21 : 0x00;
  const addr: number[] = o.family === 'unspec' ? [] : [...o.src!, ...o.dst!, (o.sport! >> 8) & 255, o.sport! & 255, (o.dport! >> 8) & 255, o.dport! & 255];
  const body = [...addr, ...(o.tlv ?? [])];
  return Buffer.from([...sig, ver, fam, (body.length >> 8) & 255, body.length & 255, ...body]);
}

describe('PROXY protocol headers (framing ours, parsing proxy-protocol-js)', () => {
  it('v1 TCP4 / TCP6 / UNKNOWN', () => {
    const h = Buffer.from('PROXY TCP4 203.0.113.7 10.0.0.2 4242 9002\r\n', 'latin1');
    expect(proxyHeaderLength(Buffer.concat([h, Buffer.from([1, 0, 2, 3])]))).toBe(h.length);
    expect(parseProxyHeader(h)).toEqual({ version: 1, source: { address: '203.0.113.7', port: 4242 } });
    const h6 = Buffer.from('PROXY TCP6 2001:db8::7 2001:db8::1 51000 9002\r\n', 'latin1');
    expect(parseProxyHeader(h6)).toEqual({ version: 1, source: { address: '2001:db8::7', port: 51000 } });
    expect(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n', 'latin1'))).toEqual({ version: 1, source: null });
  });

  it('v2 IPv4, IPv6 (with TLVs after the addresses) and LOCAL', () => {
    const h = v2Header({ family: 'inet', src: [198, 51, 100, 9], dst: [10, 0, 0, 2], sport: 40000, dport: 9002 });
    expect(proxyHeaderLength(Buffer.concat([h, Buffer.alloc(10)]))).toBe(16 + 12);
    expect(parseProxyHeader(h)).toEqual({ version: 2, source: { address: '198.51.100.9', port: 40000 } });
    const src6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42];
    const h6 = v2Header({ family: 'inet6', src: src6, dst: new Array(16).fill(0), sport: 1234, dport: 9002, tlv: [0x04, 0x00, 0x01, 0x00] });
    expect(proxyHeaderLength(h6)).toBe(16 + 36 + 4);
    expect(parseProxyHeader(h6)).toEqual({ version: 2, source: { address: '2001:db8::42', port: 1234 } });
    expect(parseProxyHeader(v2Header({ command: 'LOCAL', family: 'unspec' }))).toEqual({ version: 2, source: null });
  });

  it('needs more bytes until the header is complete; refuses what is no header', () => {
    const h = v2Header({ family: 'inet', src: [1, 2, 3, 4], dst: [5, 6, 7, 8], sport: 1, dport: 2 });
    for (let n = 0; n < h.length; n++) expect(proxyHeaderLength(h.subarray(0, n))).toBe(0);
    expect(proxyHeaderLength(Buffer.from('PROXY TCP4 1.2.3.4', 'latin1'))).toBe(0);
    expect(() => proxyHeaderLength(Buffer.from([1, 0, 0, 0]))).toThrow(ProxyHeaderError);
    expect(() => proxyHeaderLength(Buffer.from('GET / HTTP/1.1\r\n'))).toThrow(/no PROXY protocol header/);
    expect(() => proxyHeaderLength(Buffer.from('PROXY ' + 'x'.repeat(120), 'latin1'))).toThrow(/longer than 107/);
    expect(() => parseProxyHeader(Buffer.from('PROXY TCP9 a b c d\r\n', 'latin1'))).toThrow(ProxyHeaderError);
  });
});

describe('readProxyHeader on a socket', () => {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  afterAll(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const accepted = async (): Promise<{ client: Socket; server: Socket }> => {
    if (!server.listening) await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const n = sockets.length;
    const client = connect((server.address() as { port: number }).port, '127.0.0.1');
    await new Promise<void>((r) => client.on('connect', () => r()));
    while (sockets.length === n) await new Promise((r) => setTimeout(r, 5));
    return { client, server: sockets[sockets.length - 1]! };
  };

  it('gives the bytes after the header back to the stream, whatever the chunking (one byte at a time)', async () => {
    const { client, server: s } = await accepted();
    const header = v2Header({ family: 'inet', src: [192, 0, 2, 10], dst: [127, 0, 0, 1], sport: 5555, dport: 9002 });
    const payload = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
    const all = Buffer.concat([header, payload]);
    const reading = readProxyHeader(s, 5000);
    for (let i = 0; i < 40; i++) {
      client.write(all.subarray(i, i + 1));
      await new Promise((r) => setTimeout(r, 1));
    }
    client.end(all.subarray(40));
    expect(await reading).toEqual({ version: 2, source: { address: '192.0.2.10', port: 5555 } });
    const rest: Buffer[] = [];
    s.on('data', (c: Buffer) => rest.push(c));
    await new Promise((r) => s.on('end', r));
    expect(Buffer.concat(rest).equals(payload)).toBe(true);
  });

  it('rejects a connection that starts with anything else, and one that stays silent', async () => {
    const a = await accepted();
    const r1 = readProxyHeader(a.server, 5000);
    a.client.write(Buffer.from([1, 0, 0, 0, 0, 0]));
    await expect(r1).rejects.toThrow(/no PROXY protocol header/);
    const b = await accepted();
    await expect(readProxyHeader(b.server, 200)).rejects.toThrow(/within 0.2 s/);
  });
});
