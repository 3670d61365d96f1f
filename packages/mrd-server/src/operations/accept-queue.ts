/**
 * Draining without resetting connections already on their way in. Closing a listening socket
 * resets the connections the kernel has completed but the server has not accepted yet; through a
 * TCP balancer their clients see a connection that closes with no answer (a balancer retries
 * only connections that fail to open). So before the listener is closed, the server connects to
 * itself and waits until it accepts that connection: the kernel's accept queue is first in,
 * first out, so every connection queued before it has been accepted by then (and is served);
 * connections that come after find the port closed, and a balancer sends them elsewhere.
 */
import { connect, type Server, type Socket } from 'node:net';

const sentinels = new WeakSet<Socket>();

/** Whether `sock` is the server's own connection made by flushAcceptQueue (to be ignored). */
export function isAcceptQueueSentinel(sock: Socket): boolean {
  return sentinels.has(sock);
}

/** The address to reach a server listening on `host` from this machine. */
function loopbackFor(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host;
}

/** Resolves once `server` has accepted a connection made now to itself (at most `timeoutMs`). */
export function flushAcceptQueue(server: Server, bound: { host: string; port: number }, timeoutMs = 1000): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = connect({ host: loopbackFor(bound.host), port: bound.port });
    const finish = (err?: Error) => {
      clearTimeout(timer);
      server.off('connection', onConnection);
      probe.destroy();
      if (err) reject(err);
      else resolve();
    };
    const onConnection = (sock: Socket) => {
      // (the probe's port is known once its connect() was issued, before the server can accept it)
      if (probe.localPort === undefined || sock.remotePort !== probe.localPort) return;
      sentinels.add(sock);
      sock.destroy();
      finish();
    };
    server.prependListener('connection', onConnection);
    probe.on('error', (err) => finish(err));
    const timer = setTimeout(() => finish(new Error(`no connection to itself within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
}
