// Hostile and idle clients for the mrd-server overload test (server-overload.test.ts), run in a
// process of its own so that it can hold more sockets than the test runner's file limit allows
// (started with `ulimit -n` raised). Reads commands on stdin, one per line, answers "ok ..." on
// stdout when done:
//   idle N   opens N connections that stay silent (a third send half a config message first)
//   close    ends every idle connection
//   storm N KINDS  opens N connections that reset (RST), cycling through KINDS, letters saying
//            what each sends first: n nothing, p half a config, c a config, h a config and half
//            a header, H a config and a header (default "npH")
// argv: port, config name (default null).
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

const port = Number(process.argv[2]);
const idle = [];

function configFile(name) {
  const b = Buffer.alloc(2 + 1024);
  b.writeUInt16LE(1, 0);
  b.write(name, 2, 'ascii');
  return b;
}
function header(xml) {
  const body = Buffer.from(xml + '\0', 'utf8');
  const b = Buffer.alloc(6);
  b.writeUInt16LE(3, 0);
  b.writeUInt32LE(body.length, 2);
  return Buffer.concat([b, body]);
}
const CONFIG = configFile(process.argv[3] ?? 'null');
const HEADER = header('<?xml version="1.0"?><ismrmrdHeader xmlns="http://www.ismrm.org/ISMRMRD"></ismrmrdHeader>');

function opened(bytes) {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.on('error', () => resolve(null));
    s.on('data', () => undefined);
    s.on('connect', () => {
      if (bytes) s.write(bytes);
      resolve(s);
    });
  });
}

async function openIdle(n) {
  let failed = 0;
  for (let i = 0; i < n; i += 100) {
    const batch = await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, k) => opened((i + k) % 3 === 0 ? CONFIG.subarray(0, 512) : null)));
    for (const s of batch) (s ? idle.push(s) : failed++);
  }
  return `ok idle ${idle.length} failed ${failed}`;
}

const FIRST = {
  n: null,
  p: CONFIG.subarray(0, 700),
  c: CONFIG,
  h: Buffer.concat([CONFIG, HEADER.subarray(0, 40)]),
  H: Buffer.concat([CONFIG, HEADER]),
};

async function storm(n, kinds = 'npH') {
  let done = 0;
  for (let i = 0; i < n; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, n - i) }, async (_, k) => {
      const kind = kinds[(i + k) % kinds.length];
      const s = await opened(FIRST[kind]);
      if (!s) return;
      await new Promise((r) => setTimeout(r, kind === 'n' ? 0 : 20));
      s.resetAndDestroy();
      done++;
    }));
  }
  return `ok storm ${done}`;
}

createInterface({ input: process.stdin }).on('line', async (line) => {
  const [cmd, arg, arg2] = line.trim().split(/\s+/);
  let answer;
  if (cmd === 'idle') answer = await openIdle(Number(arg));
  else if (cmd === 'close') {
    for (const s of idle.splice(0)) s.destroy();
    answer = 'ok close';
  } else if (cmd === 'storm') answer = await storm(Number(arg), arg2);
  else answer = `error unknown command ${cmd}`;
  process.stdout.write(answer + '\n');
});
process.stdin.on('end', () => process.exit(0));
