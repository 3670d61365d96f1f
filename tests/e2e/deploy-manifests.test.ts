/**
 * The deployment files (deploy/) are parsed and held to what the server and the other tests rely
 * on: ports, probe paths, PROXY protocol on both sides, grace periods above the drain timeout,
 * and environment variable names that are mrd-server options (as its --help lists them). The
 * validators that exist as Debian packages (haproxy -c, systemd-analyze verify) run in .ci/run;
 * the preStop hook script is run here against a real server.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { repoRoot } from '@mrd-tools/core/testing';
import { encodeMessages } from '@mrd-tools/core/stream';
import { serverCli, startServer } from './server-harness.js';
import { images, readAnswer, SMALL_HEADER } from './server-sessions.js';

const root = repoRoot();
const read = (rel: string) => readFileSync(join(root, rel), 'utf8');

/** The environment variables mrd-server takes, from its --help. */
const serverHelp = spawnSync(process.execPath, [serverCli, '--help'], { encoding: 'utf8', timeout: 20_000 }).stdout;
const serverVariables = new Set([...serverHelp.matchAll(/^\s+(MRD_SERVER_[A-Z0-9_]+)\s+\(--/gm)].map((m) => m[1]!));

type Obj = Record<string, any>;

/** An image path (/opt/code/mrd-tools/...) as a repository path. */
const inRepo = (imagePath: string) => join(root, imagePath.replace(/^\/opt\/code\/mrd-tools\//, ''));

describe('deploy/haproxy/haproxy.cfg', () => {
  const cfg = read('deploy/haproxy/haproxy.cfg');
  const lines = cfg.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter(Boolean);
  const section = (name: string) => {
    const i = lines.findIndex((l) => l === name);
    const rest = lines.slice(i + 1);
    const end = rest.findIndex((l) => /^(global|defaults|frontend|backend|listen)\b/.test(l));
    return i < 0 ? [] : end < 0 ? rest : rest.slice(0, end);
  };

  it('balances MRD in TCP mode over the least busy server, checks /readyz, sends PROXY v2, waits long enough for recons', () => {
    expect(section('defaults')).toContain('mode tcp');
    const backend = section('backend mrd_servers');
    expect(backend).toContain('balance leastconn');
    expect(backend).toContain('option httpchk GET /readyz');
    expect(backend).toContain('http-check expect status 200');
    expect(backend.find((l) => l.startsWith('default-server'))).toMatch(/\bsend-proxy-v2\b/);
    const servers = backend.filter((l) => l.startsWith('server '));
    expect(servers).toHaveLength(3);
    for (const s of servers) expect(s).toMatch(/\bcheck port "\$\{MRD_BACKEND_\d_HTTP_PORT-\d+\}"/);
    const seconds = (v: string) => Number(/^(\d+)(ms|s|m|h)?$/.exec(v)![1]) * ({ ms: 0.001, s: 1, m: 60, h: 3600 } as Record<string, number>)[/^(\d+)(ms|s|m|h)?$/.exec(v)![2] ?? 'ms']!;
    for (const t of ['client', 'server']) {
      const v = section('defaults').find((l) => l.startsWith(`timeout ${t} `))!.split(/\s+/)[2]!;
      expect(seconds(v), `timeout ${t}`).toBeGreaterThanOrEqual(30 * 60);
    }
    expect(section('defaults')).toContain('option redispatch 1');
    expect(section('global').some((l) => l.startsWith('stats socket'))).toBe(true);
  });

  it('takes its addresses from the environment variables compose sets', () => {
    const vars = new Set([...cfg.matchAll(/"\$\{([A-Z0-9_]+)-[^}]*\}"/g)].map((m) => m[1]!));
    const compose = parse(read('deploy/compose.yaml'), { merge: true }) as Obj;
    for (const name of Object.keys(compose.services.haproxy.environment)) expect(vars, name).toContain(name);
  });
});

describe('deploy/compose.yaml', () => {
  const compose = parse(read('deploy/compose.yaml'), { merge: true }) as Obj;
  const servers = Object.entries(compose.services as Obj).filter(([name]) => name.startsWith('mrd-server-'));

  it('three servers configured by mrd-server variables, behind HAProxy with the PROXY protocol', () => {
    expect(servers.map(([n]) => n)).toEqual(['mrd-server-1', 'mrd-server-2', 'mrd-server-3']);
    const ha = compose.services.haproxy.environment as Obj;
    for (const [name, svc] of servers) {
      const env = svc.environment as Obj;
      for (const k of Object.keys(env)) expect(serverVariables, `${name}: ${k}`).toContain(k);
      expect(env.MRD_SERVER_PROXY_PROTOCOL).toBe('true');
      expect(env.MRD_SERVER_HOST).toBe('0.0.0.0');
      const n = name.slice(-1);
      expect(ha[`MRD_BACKEND_${n}`]).toBe(`${name}:${env.MRD_SERVER_PORT}`);
      expect(ha[`MRD_BACKEND_${n}_HTTP_PORT`]).toBe(env.MRD_SERVER_HTTP_PORT);
      expect(svc.stop_signal).toBe('SIGTERM');
      expect(Number(/^(\d+)s$/.exec(svc.stop_grace_period)![1])).toBeGreaterThan(Number(env.MRD_SERVER_DRAIN_TIMEOUT));
      expect(svc.build.dockerfile).toBe('Dockerfile');
    }
    expect(compose.services.haproxy.volumes).toContain('./haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
  });
});

describe('deploy/kubernetes', () => {
  const base = 'deploy/kubernetes/base';
  const docs = readdirSync(join(root, base)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').flatMap((f) => parseAllDocuments(read(`${base}/${f}`)).map((d) => {
    expect(d.errors, f).toEqual([]);
    return d.toJS() as Obj;
  }));
  const kind = (k: string) => docs.filter((d) => d.kind === k);
  const deployment = kind('Deployment')[0]!;
  const pod = deployment.spec.template.spec as Obj;
  const container = pod.containers[0] as Obj;
  const env = Object.fromEntries((container.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
  const port = (name: string) => (container.ports as { name: string; containerPort: number }[]).find((p) => p.name === name)!.containerPort;

  it('has a Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget, ConfigMap and PersistentVolumeClaim, all in the kustomization', () => {
    expect(docs.map((d) => d.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PersistentVolumeClaim', 'PodDisruptionBudget', 'Service']);
    const k = parse(read(`${base}/kustomization.yaml`)) as Obj;
    expect([...k.resources].sort()).toEqual(readdirSync(join(root, base)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort());
  });

  it('configures the server with its own variables; probes on the HTTP port; no service links', () => {
    for (const name of Object.keys(env).filter((n) => n.startsWith('MRD_SERVER_'))) expect(serverVariables, name).toContain(name);
    expect(pod.enableServiceLinks).toBe(false);
    expect(port('http')).toBe(Number(env.MRD_SERVER_HTTP_PORT));
    expect(port('mrd')).toBe(Number(env.MRD_SERVER_PORT));
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(deployment.spec.template.metadata.annotations['prometheus.io/port']).toBe(env.MRD_SERVER_HTTP_PORT);
  });

  it('drains before it goes: preStop waits for the drain, the grace period is above delay + drain timeout', () => {
    const cmd = container.lifecycle.preStop.exec.command as string[];
    expect(cmd[0]).toBe('node');
    expect(existsSync(inRepo(cmd[1]!)), cmd[1]).toBe(true);
    const drain = Number(env.MRD_SERVER_DRAIN_TIMEOUT);
    expect(Number(env.MRD_PRESTOP_TIMEOUT_S)).toBeGreaterThan(drain);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(Number(env.MRD_PRESTOP_DELAY_S) + Number(env.MRD_PRESTOP_TIMEOUT_S));
  });

  it('runs as non-root with resource requests; Service, HPA and PDB select it', () => {
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(container.resources.requests.cpu).toBeDefined();
    expect(container.resources.requests.memory).toBeDefined();
    const labels = deployment.spec.template.metadata.labels as Obj;
    const selects = (sel: Obj) => Object.entries(sel).every(([k, v]) => labels[k] === v);
    const svc = kind('Service')[0]!;
    expect(selects(svc.spec.selector)).toBe(true);
    for (const p of svc.spec.ports as Obj[]) expect(['mrd', 'http']).toContain(p.targetPort);
    expect((svc.spec.ports as Obj[]).find((p) => p.targetPort === 'mrd')!.port).toBe(9002);
    const hpa = kind('HorizontalPodAutoscaler')[0]!;
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
    expect(selects(kind('PodDisruptionBudget')[0]!.spec.selector.matchLabels)).toBe(true);
  });

  it('mounts the spiral configs (a copy of packages/spiral-recon/configs) and the saved-data claim', () => {
    const cm = kind('ConfigMap')[0]!;
    const dir = join(root, 'packages/spiral-recon/configs');
    const files = Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.toml')).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    expect(cm.data).toEqual(files);
    const vols = Object.fromEntries((pod.volumes as Obj[]).map((v) => [v.name, v]));
    const mounts = Object.fromEntries((container.volumeMounts as Obj[]).map((m) => [m.mountPath, m.name]));
    expect(vols[mounts[env.MRD_SERVER_CONFIG_DIR!]!].configMap.name).toBe(cm.metadata.name);
    expect(vols[mounts[env.MRD_SERVER_SAVEDATA_FOLDER!]!].persistentVolumeClaim.claimName).toBe(kind('PersistentVolumeClaim')[0]!.metadata.name);
  });

  it('the CPU-node example patches the same Deployment with mrd-server variables and keeps off GPU nodes', () => {
    const k = parse(read('deploy/kubernetes/cpu-nodes/kustomization.yaml')) as Obj;
    expect(k.resources).toEqual(['../base']);
    const patch = parse(read(`deploy/kubernetes/cpu-nodes/${k.patches[0].path}`)) as Obj;
    expect(patch.metadata.name).toBe(deployment.metadata.name);
    const c = patch.spec.template.spec.containers[0] as Obj;
    expect(c.name).toBe(container.name);
    for (const e of c.env as Obj[]) expect(serverVariables).toContain(e.name);
    expect(JSON.stringify(patch.spec.template.spec.affinity)).toContain('DoesNotExist');
  });
});

describe('deploy/systemd/mrd-server.service', () => {
  const unit = read('deploy/systemd/mrd-server.service');
  const entries = unit.split('\n').filter((l) => /^[A-Za-z]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const);
  const all = (k: string) => entries.filter(([key]) => key === k).map(([, v]) => v);
  const one = (k: string) => all(k).at(-1);

  it('is hardened, restarts on failure, and may write only its save folder', () => {
    expect(one('DynamicUser') === 'yes' || one('User') !== undefined).toBe(true);
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('Restart')).toBe('on-failure');
    expect(one('NoNewPrivileges')).toBe('yes');
    const env = Object.fromEntries(all('Environment').map((e) => e.split('=') as [string, string]));
    for (const k of Object.keys(env)) expect(serverVariables, k).toContain(k);
    const writable = all('ReadWritePaths').flatMap((v) => v.split(/\s+/));
    expect(writable.some((p) => env.MRD_SERVER_SAVEDATA_FOLDER!.startsWith(p))).toBe(true);
    expect(Number(one('TimeoutStopSec'))).toBeGreaterThan(Number(env.MRD_SERVER_DRAIN_TIMEOUT));
    // SIGTERM to the server only: -m session processes finish their sessions under the drain
    expect(one('KillMode')).toBe('mixed');
    expect(one('ExecStart')).toMatch(/ node \/opt\/mrd-tools\/packages\/mrd-server\/dist\/cli\.js$/);
  });
});

describe('the preStop hook script', () => {
  it('signals the server, waits until its session in flight has finished and the server has exited', async () => {
    const s = await startServer(['-d', 'null', '--http-port', '0']);
    const sock = connect({ host: '127.0.0.1', port: s.port });
    const chunks: Buffer[] = [];
    sock.on('data', (c) => chunks.push(c));
    await new Promise((r) => sock.on('connect', r));
    sock.write(encodeMessages([{ type: 'config_file', name: 'null' }, { type: 'header', xml: SMALL_HEADER }]));
    const hook = spawn(process.execPath, [join(root, 'packages/mrd-server/scripts/prestop.mjs')], {
      env: { ...process.env, MRD_PRESTOP_PID: String(s.proc.pid), MRD_PRESTOP_DELAY_S: '0', MRD_SERVER_HTTP_PORT: String(s.httpPort), MRD_PRESTOP_TIMEOUT_S: '30' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    hook.stdout.on('data', (c) => (out += c));
    const hookExit = new Promise<number | null>((r) => hook.on('exit', (code) => r(code)));
    const serverExit = new Promise<number | null>((r) => s.proc.on('exit', (code) => r(code)));
    await new Promise((r) => setTimeout(r, 1000));
    expect(hook.exitCode).toBeNull(); // still waiting: the session is open
    sock.write(encodeMessages([...images(1), { type: 'close' }]));
    expect(await serverExit).toBe(0);
    expect(await hookExit).toBe(0);
    expect(out).toContain('the server has drained and exited');
    expect(readAnswer(Buffer.concat(chunks))).toMatchObject({ endsWithClose: true, texts: [] });
    sock.destroy();
  });
});
