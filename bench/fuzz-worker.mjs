// One fuzz worker thread (bench/fuzz.mjs): generates its share of cases from its seed, sends each through the
// real server over gRPC (Envoy's Check with the body as raw bytes), and judges every allow with the oracle.
import { parentPort, workerData } from 'node:worker_threads';
import * as grpc from '@grpc/grpc-js';
import { loadDescriptors } from '../dist/envoy/descriptors.js';
import { nextCase } from './fuzz-mutate.mjs';
import { startDecoders } from './fuzz-decoders.mjs';
import { readWithNode } from './fuzz-node-decoders.mjs';
import { judgeAllowed, judgeDocuments, judgeReadings } from './fuzz-oracle.mjs';
import { rng } from './fuzz-random.mjs';

const { address, seed, count, concurrency, inProcess, policyDir, configFile } = workerData;
const { packageDefinition } = loadDescriptors();
const r = rng(seed);
// The real decoders of Go and Python MCP servers, one long-lived process each per worker.
const decoders = startDecoders();

/** Send one CheckRequest: over gRPC to the server, or (--in-process) straight into the same check pipeline. */
let send;
let closeClient = () => undefined;
if (inProcess) {
  const { loadConfig } = await import('../dist/config/load.js');
  const { policySource } = await import('../dist/policy/policy-source.js');
  const { createCheckPipeline } = await import('../dist/check/pipeline.js');
  const { checkSettings } = await import('../dist/server/check-settings.js');
  const { loadDescriptorSet } = await import('../dist/envoy/descriptor-set.js');
  const { createIdentityResolver } = await import('../dist/identity/resolve.js');
  const cfg = loadConfig({ flags: { config: configFile, policy: policyDir, entrypoint: 'fuzz/decision' }, env: {} });
  const policy = await policySource(cfg).load();
  const settings = checkSettings(cfg, loadDescriptorSet().httpStatusCodes);
  const pipeline = createCheckPipeline({ settings, policy: () => policy, identity: createIdentityResolver(cfg.identity) });
  send = (req, cb) =>
    pipeline.check(req).then(
      (o) => cb(null, o.response),
      (err) => cb(Object.assign(err, { code: 'thrown', details: err.stack })),
    );
} else {
  const pkg = grpc.loadPackageDefinition(packageDefinition);
  const client = new pkg.envoy.service.auth.v3.Authorization(address, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  });
  send = (req, cb) => client.Check(req, { deadline: Date.now() + 30_000 }, cb);
  closeClient = () => client.close();
}

/** google.protobuf.Value (proto-loader form) → plain JSON. */
const fromValue = (v) => {
  if (!v) return null;
  if ('nullValue' in v) return null;
  if ('boolValue' in v) return v.boolValue;
  if ('numberValue' in v) return v.numberValue;
  if ('stringValue' in v) return v.stringValue;
  if ('listValue' in v) return (v.listValue.values ?? []).map(fromValue);
  if ('structValue' in v) return fromStruct(v.structValue);
  return null;
};
const fromStruct = (s) => Object.fromEntries(Object.entries(s?.fields ?? {}).map(([k, v]) => [k, fromValue(v)]));

const request = (body, headers) => ({
  attributes: {
    source: {
      address: { socket_address: { address: '10.1.2.3', port_value: 52000 } },
      principal: 'spiffe://cluster.local/ns/agents/sa/support-agent',
    },
    request: {
      time: { seconds: '1735689600', nanos: 0 },
      http: {
        id: '1',
        method: 'POST',
        path: '/mcp',
        host: 'mcp',
        scheme: 'http',
        protocol: 'HTTP/1.1',
        headers: { 'content-type': 'application/json', ...headers },
        raw_body: body,
      },
    },
  },
});

const stats = {
  sent: 0,
  allowed: 0,
  denied: 0,
  approval: 0,
  server_errors: 0,
  grpc_errors: 0,
  bad_status: 0,
  wrong_allows: 0,
  judged_by_decoders: 0,
  decoder_errors: 0,
  by_code: {},
  by_kind: {},
};
const findings = [];
const note = (kind, c, detail) => {
  stats.by_kind[kind] = (stats.by_kind[kind] ?? 0) + 1;
  if (findings.length < 50) findings.push({ kind, detail, body: c.body.toString('latin1').slice(0, 2000), headers: c.headers });
};

function check(c) {
  return new Promise((resolve) => {
    send(request(c.body, c.headers), (err, res) => {
      stats.sent++;
      if (err) {
        stats.grpc_errors++;
        note(err.code === 'thrown' ? 'crash' : 'grpc_error', c, `${err.code} ${err.details}`);
        return resolve();
      }
      const code = res.status?.code ?? 0;
      if (code === 0) {
        stats.allowed++;
        const echo = fromStruct(res.dynamic_metadata ?? {}).fuzz_seen;
        const seen = echo && { ...echo, messages: (echo.messages ?? []).map((m) => JSON.parse(m)) };
        const text = c.body.toString('utf8');
        const headers = { 'content-type': 'application/json', ...c.headers };
        const wrong = judgeAllowed(text, c.headers, seen);
        if (wrong) {
          stats.wrong_allows++;
          note(wrong.kind, c, wrong.detail);
          return resolve();
        }
        // The decoders upstreams run, on the same bytes and headers.
        return Promise.all([readWithNode(c.body, headers), decoders.go.read('message', c.body), decoders.python.read('message', c.body)])
          .then(([node, go, python]) => {
            stats.judged_by_decoders++;
            const real = judgeReadings({ ...node, go_unmarshal: go.unmarshal, go_decoder: go.decoder, python: python.loads }, seen);
            if (real) {
              stats.wrong_allows++;
              note(real.kind, c, real.detail);
              return undefined;
            }
            return judgeArgumentDocuments(seen);
          })
          .then((wrongDocument) => {
            if (wrongDocument) {
              stats.wrong_allows++;
              note(wrongDocument.kind, c, wrongDocument.detail);
            }
          })
          .catch((e) => {
            stats.decoder_errors++;
            note('decoder_error', c, e.message);
          })
          .then(resolve);
      } else if (code === 7) {
        const reason = String(res.status.message ?? '').split(' ')[0] || 'unknown';
        stats.by_code[reason] = (stats.by_code[reason] ?? 0) + 1;
        if (reason === 'approval_required') stats.approval++;
        else stats.denied++;
        if (['policy_eval_error', 'internal_error', 'decision_invalid', 'decision_undefined', 'decision_too_large'].includes(reason)) {
          stats.server_errors++;
          note(`server_error:${reason}`, c, res.status.message);
        }
      } else {
        stats.bad_status++;
        note('bad_status', c, `status ${code}`);
      }
      resolve();
    });
  });
}

/** Every top-level string argument of each allowed tool call, read as a document by Go and Python. */
async function judgeArgumentDocuments(seen) {
  for (const m of seen.messages) {
    if (m.method !== 'tools/call' || !m.arguments || typeof m.arguments !== 'object' || Array.isArray(m.arguments)) continue;
    const strings = Object.entries(m.arguments).filter(([, v]) => typeof v === 'string');
    if (strings.length === 0) continue;
    const readings = {};
    await Promise.all(
      strings.map(async ([k, v]) => {
        const [go, python] = await Promise.all([decoders.go.read('document', v), decoders.python.read('document', v)]);
        readings[k] = { go, python };
      }),
    );
    const wrong = judgeDocuments(m, readings);
    if (wrong) return wrong;
  }
  return undefined;
}

let next = 0;
let lastReport = Date.now();
async function lane() {
  while (next < count) {
    next++;
    await check(nextCase(r));
    if (Date.now() - lastReport > 2000) {
      lastReport = Date.now();
      parentPort.postMessage({ progress: stats.sent });
    }
  }
}
await Promise.all(Array.from({ length: concurrency }, lane));
closeClient();
await decoders.close();
parentPort.postMessage({ done: true, stats, findings });
