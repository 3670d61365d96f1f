/**
 * `--proxy-protocol`: the header HAProxy (`send-proxy` / `send-proxy-v2`) and other balancers
 * put in front of a connection's bytes, saying who the real client is. The header is parsed by
 * proxy-protocol-js (v1 text and v2 binary); this file only frames it in the byte stream: v1 is
 * one line of at most 107 bytes ending in CRLF, v2 a 16-byte prefix whose last two bytes give the
 * length of the rest. The bytes after the header are put back on the socket (`unshift`), so the
 * connection's MRD reader (and the main thread's config gate) sees the client's stream from its
 * first byte, exactly as without a balancer.
 *
 * A connection whose first bytes are not a PROXY header (a client bypassing the balancer) is
 * refused. A v2 LOCAL header (the balancer's own health check) and v1 `PROXY UNKNOWN` carry no
 * client address: the connection's own address is used.
 */
import type { Socket } from 'node:net';
import proxyProtocol from 'proxy-protocol-js';

const { V1BinaryProxyProtocol, V2ProxyProtocol, IPv4ProxyAddress, IPv6ProxyAddress, Command } = proxyProtocol;

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_SIGNATURE = Buffer.from('PROXY ', 'latin1');
/** The longest v1 header (spec section 2.1). */
const V1_MAX = 107;
/** A v2 header's fixed prefix (signature, version/command, family/protocol, length). */
const V2_PREFIX = 16;

export class ProxyHeaderError extends Error {}

export interface ProxyHeader {
  version: 1 | 2;
  /** The real client, or null when the header carries none (v2 LOCAL, v1 UNKNOWN, UNIX/UNSPEC). */
  source: { address: string; port: number } | null;
}

/** IPv6 address bytes as text (RFC 5952: lower case, longest zero run as ::), IPv4-mapped shown as IPv4. */
function ipv6Text(bytes: ArrayLike<number>): string {
  const b = Array.from(bytes);
  if (b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return b.slice(12).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/**
 * The length of the PROXY header at the start of `buf`: > 0 once complete, 0 when more bytes are
 * needed. Throws ProxyHeaderError when `buf` does not start with one.
 */
export function proxyHeaderLength(buf: Buffer): number {
  const n = Math.min(buf.length, V2_SIGNATURE.length);
  if (buf.subarray(0, n).equals(V2_SIGNATURE.subarray(0, n))) {
    if (buf.length < V2_PREFIX) return 0;
    const total = V2_PREFIX + buf.readUInt16BE(14);
    return buf.length >= total ? total : 0;
  }
  const m = Math.min(buf.length, V1_SIGNATURE.length);
  if (buf.subarray(0, m).equals(V1_SIGNATURE.subarray(0, m))) {
    const end = buf.indexOf('\r\n', 0, 'latin1');
    if (end >= 0 && end + 2 <= V1_MAX) return end + 2;
    if (end < 0 && buf.length < V1_MAX) return 0;
    throw new ProxyHeaderError(`PROXY protocol v1 header longer than ${V1_MAX} bytes`);
  }
  throw new ProxyHeaderError('no PROXY protocol header (the server requires one: connect through the load balancer)');
}

/** Parses one complete header (`proxyHeaderLength` bytes). */
export function parseProxyHeader(header: Buffer): ProxyHeader {
  const bytes = new Uint8Array(header.buffer, header.byteOffset, header.byteLength);
  if (header[0] === V2_SIGNATURE[0]) {
    let p: InstanceType<typeof V2ProxyProtocol>;
    try {
      p = V2ProxyProtocol.parse(bytes);
    } catch (err) {
      throw new ProxyHeaderError(`invalid PROXY protocol v2 header: ${(err as Error).message}`);
    }
    if (p.command === Command.LOCAL) return { version: 2, source: null };
    const a = p.proxyAddress;
    if (a instanceof IPv4ProxyAddress) return { version: 2, source: { address: a.sourceAddress.address.join('.'), port: a.sourcePort } };
    if (a instanceof IPv6ProxyAddress) return { version: 2, source: { address: ipv6Text(a.sourceAddress.address), port: a.sourcePort } };
    return { version: 2, source: null };
  }
  if (header.toString('latin1').startsWith('PROXY UNKNOWN')) return { version: 1, source: null };
  try {
    const p = V1BinaryProxyProtocol.parse(bytes);
    return { version: 1, source: { address: p.source.ipAddress, port: p.source.port } };
  } catch (err) {
    throw new ProxyHeaderError(`invalid PROXY protocol v1 header: ${(err as Error).message}`);
  }
}

/**
 * Reads the PROXY header at the start of `sock` (within `timeoutMs`), puts the bytes after it back
 * on the socket, and resolves with the header. The socket is left paused, with no listeners of ours.
 */
export function readProxyHeader(sock: Socket, timeoutMs: number): Promise<ProxyHeader> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const done = (err: Error | null, header?: ProxyHeader, rest?: Buffer) => {
      clearTimeout(timer);
      sock.off('readable', onReadable);
      sock.off('end', onEnd);
      sock.off('error', onError);
      if (err) return reject(err);
      if (rest && rest.length) sock.unshift(rest);
      resolve(header!);
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = sock.read() as Buffer | null) !== null) {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        let len: number;
        try {
          len = proxyHeaderLength(buf);
          if (len === 0) continue;
          const header = parseProxyHeader(buf.subarray(0, len));
          return done(null, header, buf.subarray(len));
        } catch (err) {
          // The bytes read stay unread-able for the refusal (nothing else reads them).
          return done(err as Error);
        }
      }
    };
    const onEnd = () => done(new ProxyHeaderError(buf.length ? 'connection closed inside its PROXY protocol header' : 'connection closed before its PROXY protocol header'));
    const onError = (err: Error) => done(err);
    const timer = setTimeout(() => done(new ProxyHeaderError(`no PROXY protocol header within ${timeoutMs / 1000} s`)), timeoutMs);
    timer.unref();
    sock.on('readable', onReadable);
    sock.on('end', onEnd);
    sock.on('error', onError);
  });
}
