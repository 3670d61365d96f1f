/** The first bytes of a file (fewer when it is shorter), to tell its format. */
import { open } from 'node:fs/promises';

export async function readHead(path: string, n: number): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * The first bytes of standard input (fewer when it ends sooner), put back so that the
 * conversion reads the whole stream: lets `... | mrd-convert - -o out.h5` tell the format from
 * the content as it does for files.
 */
export async function readStdinHead(n: number, stdin: NodeJS.ReadableStream & { unshift(chunk: Uint8Array): void; read(size?: number): unknown } = process.stdin): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let have = 0;
  await new Promise<void>((resolve, reject) => {
    const done = () => {
      stdin.off('readable', onReadable);
      stdin.off('end', done);
      stdin.off('error', onError);
      resolve();
    };
    const onError = (err: Error) => {
      stdin.off('readable', onReadable);
      stdin.off('end', done);
      reject(err);
    };
    const onReadable = () => {
      let c: unknown;
      while (have < n && (c = stdin.read()) !== null) {
        const b = Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array);
        chunks.push(b);
        have += b.length;
      }
      if (have >= n) done();
    };
    stdin.on('readable', onReadable);
    stdin.on('end', done);
    stdin.on('error', onError);
  });
  const all = Buffer.concat(chunks);
  if (all.length) stdin.unshift(all);
  return all.subarray(0, Math.min(n, all.length));
}
