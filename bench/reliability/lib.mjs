// Shared pieces of `npm run reliability`: servers started as users start them (dist/main.js serve), a gRPC client
// built from the served descriptor set, paced and closed-loop load, metrics scrapes and process-tree RSS.
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadDescriptors } from '../../dist/envoy/descriptors.js';
import { treeRssMb } from '../proc.mjs';

export const root = new URL('../..', import.meta.url).pathname;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A CheckRequest for an MCP POST, as Envoy sends it (the test helper's shape). */
export function checkRequest(message, headers = {}) {
  const body = typeof message === 'string' ? message : JSON.stringify(message);
  return {
    attributes: {
      source: {
        address: { socket_address: { address: '10.1.2.3', port_value: 52000 } },
        principal: 'spiffe://cluster.local/ns/agents/sa/support-agent',
      },
      destination: { address: { socket_address: { address: '10.1.9.9', port_value: 8080 } } },
      request: {
        time: { seconds: '1735689600', nanos: 0 },
        http: {
          id: '7433617387390386455',
          method: 'POST',
          path: '/mcp',
          host: 'mcp.example',
          scheme: 'http',
          protocol: 'HTTP/1.1',
          headers: { ':authority': 'mcp.example', ':method': 'POST', ':path': '/mcp', 'content-type': 'application/json', ...headers },
          size: String(Buffer.byteLength(body)),
          body,
        },
      },
    },
  };
}
export const toolCall = (tool, args, id = 2) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: tool, arguments: args } });

/** Clients over `connections` HTTP/2 connections (Envoy holds several), round-robin. */
export function clients(address, connections = 4) {
  const pkg = grpc.loadPackageDefinition(loadDescriptors().packageDefinition);
  const list = Array.from({ length: connections }, (_, i) => ({
    authz: new pkg.envoy.service.auth.v3.Authorization(address, grpc.credentials.createInsecure(), {
      'grpc.channel_id': i,
      'grpc.use_local_subchannel_pool': 1,
    }),
    health: new pkg.grpc.health.v1.Health(address, grpc.credentials.createInsecure(), { 'grpc.channel_id': i, 'grpc.use_local_subchannel_pool': 1 }),
  }));
  let next = 0;
  const pick = () => list[next++ % list.length];
  return {
    check: (req, deadlineMs = 10_000) =>
      new Promise((resolve, reject) =>
        pick().authz.Check(req, { deadline: Date.now() + deadlineMs }, (err, res) => (err ? reject(err) : resolve(res))),
      ),
    health: (deadlineMs = 2_000) =>
      new Promise((resolve, reject) =>
        list[0].health.Check({ service: '' }, { deadline: Date.now() + deadlineMs }, (err, res) => (err ? reject(err) : resolve(res.status))),
      ),
    close: () => {
      for (const c of list) {
        c.authz.close();
        c.health.close();
      }
    },
  };
}

/** `mcp-authz serve` as a user starts it; resolves once its startup line names the ports. */
export async function startServer({ args = [], env = {}, log }) {
  const out = createWriteStream(log);
  await new Promise((r) => out.once('open', r));
  // RELIABILITY_WORKERS=N runs every server with --workers N (default: the server's own default).
  const workers = process.env.RELIABILITY_WORKERS ? ['--workers', process.env.RELIABILITY_WORKERS] : [];
  const child = spawn(
    process.execPath,
    [
      join(root, 'dist/main.js'),
      'serve',
      '--grpc-addr',
      '127.0.0.1:0',
      '--http-addr',
      '127.0.0.1:0',
      '--admin-addr',
      '127.0.0.1:0',
      ...workers,
      ...args,
    ],
    {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', out, out],
    },
  );
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  let done = false;
  exited.then(() => (done = true));
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    if (done) throw new Error(`server exited at startup:\n${readFileSync(log, 'utf8').slice(0, 3000)}`);
    const text = readFileSync(log, 'utf8');
    const m = text.match(/"grpc_port":(\d+).*?"http_port":(\d+).*?"admin_port":(\d+)/);
    if (m) {
      const [grpcPort, httpPort, adminPort] = m.slice(1).map(Number);
      return { child, exited, grpcPort, httpPort, adminPort, address: `127.0.0.1:${grpcPort}`, log, lines: () => logLines(log) };
    }
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`server did not start:\n${readFileSync(log, 'utf8').slice(0, 3000)}`);
}

export function logLines(log) {
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return {};
      }
    });
}

export async function stopServer(srv, signal = 'SIGTERM') {
  if (srv.child.exitCode === null && srv.child.signalCode === null) srv.child.kill(signal);
  const t = setTimeout(() => srv.child.kill('SIGKILL'), 30_000);
  const r = await srv.exited;
  clearTimeout(t);
  return r;
}

/** One Prometheus sample's value (the first series matching `name{…labels}`), or 0. */
export async function metric(srv, name, labels = '') {
  const text = await fetch(`http://127.0.0.1:${srv.httpPort}/metrics`).then((r) => r.text());
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith('{') || rest.startsWith(' '))) continue;
    if (labels && !rest.includes(labels)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Samples the tree RSS every `ms` until stopped; returns the peak (MiB). */
export function rssSampler(pid, ms = 200) {
  let peak = treeRssMb(pid).mb;
  const t = setInterval(() => (peak = Math.max(peak, treeRssMb(pid).mb)), ms);
  return {
    stop: () => {
      clearInterval(t);
      return +peak.toFixed(1);
    },
    peak: () => +peak.toFixed(1),
  };
}

/** The manifest's memory limit (MiB), from manifests/base/deployment.yaml. */
export function manifestMemoryLimitMb() {
  const text = readFileSync(join(root, 'manifests/base/deployment.yaml'), 'utf8');
  const m = text.match(/limits:[\s\S]*?memory:\s*(\d+)(Mi|Gi)/);
  return m ? Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1) : undefined;
}

export const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0);

/**
 * Closed loop: `concurrency` callers, each sending `next()` as soon as the previous answer came, for `ms` or
 * `count` requests. Returns latencies (ms, sorted), errors and the answers' status codes.
 */
export async function closedLoop(c, { concurrency, ms, count, next, judge = () => true }) {
  const lat = [];
  const errors = [];
  let wrong = 0;
  let sent = 0;
  const stopAt = ms ? Date.now() + ms : Infinity;
  const worker = async () => {
    while (Date.now() < stopAt && (count === undefined || sent < count)) {
      sent++;
      const req = next(sent);
      const t0 = performance.now();
      try {
        const res = await c.check(req.request);
        lat.push(performance.now() - t0);
        if (!judge(req, res)) wrong++;
      } catch (err) {
        errors.push(err.details || err.message);
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  lat.sort((a, b) => a - b);
  return {
    sent,
    answered: lat.length,
    errors,
    wrong,
    rps: Math.round(lat.length / seconds),
    p50: +pct(lat, 50).toFixed(2),
    p99: +pct(lat, 99).toFixed(2),
    max: +(lat.at(-1) ?? 0).toFixed(2),
  };
}

/** Open loop at `rps` for `ms` (each request on its own, as a gateway sends them), until `stop()` says so. */
export async function pacedLoad(c, { rps, ms, next, judge = () => true, stop = () => false }) {
  const lat = [];
  const errors = [];
  let wrong = 0;
  let sent = 0;
  const inflight = new Set();
  const started = performance.now();
  const interval = 1000 / rps;
  while (performance.now() - started < ms && !stop()) {
    const due = started + sent * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    if (stop()) break;
    sent++;
    const req = next(sent);
    const t0 = performance.now();
    const p = c.check(req.request).then(
      (res) => {
        lat.push(performance.now() - t0);
        if (!judge(req, res)) wrong++;
      },
      (err) => errors.push({ at: performance.now() - started, err: err.details || err.message }),
    );
    inflight.add(p);
    p.finally(() => inflight.delete(p));
  }
  await Promise.all(inflight);
  lat.sort((a, b) => a - b);
  return {
    sent,
    answered: lat.length,
    errors,
    wrong,
    p50: +pct(lat, 50).toFixed(2),
    p99: +pct(lat, 99).toFixed(2),
    max: +(lat.at(-1) ?? 0).toFixed(2),
  };
}
