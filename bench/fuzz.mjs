// npm run fuzz — mutates MCP bodies at the byte, token and structure level and sends every one through the real
// check path: a real `mcp-authz serve` process (the guardrails pack in rego/, compiled by the opa CLI, behind the
// entrypoint of bench/fuzz-echo.rego, which adds what the policy saw to dynamic_metadata), over gRPC, with the
// body as raw bytes. Every allowed body is re-read by an independent oracle (bench/fuzz-oracle.mjs): JSON.parse,
// @modelcontextprotocol/sdk's request schemas, and a Go encoding/json-like case-folding decoder, then by the decoders
// MCP servers really run (express.json(), the SDK's SSE and Streamable HTTP transports, Go's encoding/json Unmarshal
// and json.Decoder, Python's json.loads); they must mean exactly what input.mcp said. Records crashes (the server exiting), gRPC errors, non-OK/non-denied statuses,
// server-side errors (500-class denials) and wrong allows. A bench, not a test; the test suite runs a short
// seeded slice (test/integration/fuzz-slice.test.ts).
//
// With --in-process the workers call the same check pipeline (request → input → facts → WASM → decision →
// CheckResponse) directly, without the gRPC hop: several times the rate on a small machine; crashes are then
// exceptions out of the pipeline.
//
// Usage: node bench/fuzz.mjs [--count 1000000] [--seed 1] [--workers N] [--concurrency 16] [--in-process] [--json]
//        [--server DIR --rego DIR]   (fuzz another build over gRPC: DIR/dist/main.js and its rego/)
//        (run `npm run build` first; `npm run fuzz` does)
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

const { values: opt } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
    workers: { type: 'string' },
    concurrency: { type: 'string', default: '16' },
    json: { type: 'boolean', default: false },
    'in-process': { type: 'boolean', default: false },
    // Fuzz another build (e.g. an older one, to see what the oracle finds there): its dist/ and rego/.
    server: { type: 'string' },
    rego: { type: 'string' },
  },
});
const count = Number(opt.count);
const seed = Number(opt.seed);
// One core serves; the rest (at least one) generate and judge.
const workers = Number(opt.workers ?? Math.max(1, availableParallelism() - 1));
const repo = new URL('..', import.meta.url).pathname;
const log = (...a) => {
  if (!opt.json) console.error(...a);
};

// The policy: rego/ (without tests and examples) plus the echo entrypoint.
const tmp = mkdtempSync(join(tmpdir(), 'mcp-authz-fuzz-'));
const policyDir = join(tmp, 'policy');
mkdirSync(policyDir);
const regoDir = opt.rego ?? join(repo, 'rego');
for (const f of readdirSync(regoDir)) if (f.endsWith('.rego') && !f.endsWith('_test.rego')) cpSync(join(regoDir, f), join(policyDir, f));
cpSync(join(repo, 'bench/fuzz-echo.rego'), join(policyDir, 'fuzz_echo.rego'));
const otherServer = opt.server !== undefined;
if (otherServer && opt['in-process']) throw new Error('--server needs the gRPC transport');
// The pack's data declares every tool's `body` a document (documents.arguments), which the oracle's form check
// reads (fuzz-oracle.mjs FORM_DECLARED). Another build may not know decision.max_metadata_bytes or
// documents.arguments (unknown keys are errors): leave them out there (builds before declarations read every body).
writeFileSync(join(tmp, 'data.yaml'), 'mcp_authz:\n  documents:\n    arguments: [{argument: body}]\n');
writeFileSync(
  join(tmp, 'config.yaml'),
  `observability:\n  decision_log:\n    enabled: false\n${otherServer ? '' : `decision:\n  max_metadata_bytes: 1048576\npolicy:\n  data: [${JSON.stringify(join(tmp, 'data.yaml'))}]\n`}`,
);

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const address = `127.0.0.1:${port}`;
const inProcess = opt['in-process'];
const server = inProcess
  ? undefined
  : spawn(
      process.execPath,
      [
        join(opt.server ?? repo, 'dist/main.js'),
        'serve',
        '--config',
        join(tmp, 'config.yaml'),
        '--policy',
        policyDir,
        '--entrypoint',
        'fuzz/decision',
        '--grpc-addr',
        address,
        '--http-addr',
        '127.0.0.1:0',
        '--admin-addr',
        '127.0.0.1:0',
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
// Never leave the server behind (Ctrl-C, kill, an exception).
process.on('exit', () => server?.kill('SIGKILL'));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
let serverErr = '';
server?.stderr.on('data', (d) => (serverErr = (serverErr + d).slice(-4000)));
let crashed = false;
let stopping = false;
server?.on('exit', (code, signal) => {
  if (!stopping) {
    crashed = true;
    console.error(`server exited (${code ?? signal}) during the run:\n${serverErr}`);
  }
});

// Wait until the server answers.
const grpc = await import('@grpc/grpc-js');
const { loadDescriptors } = await import(join(repo, 'dist/envoy/descriptors.js'));
const pkg = grpc.loadPackageDefinition(loadDescriptors().packageDefinition);
const health = new pkg.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
for (let i = 0; !inProcess; i++) {
  const status = await new Promise((resolve) =>
    health.Check({ service: '' }, { deadline: Date.now() + 1000 }, (err, res) => resolve(err ? undefined : res.status)),
  );
  if (status === 'SERVING') break;
  if (i > 120 || crashed) throw new Error(`the server did not start:\n${serverErr}`);
  await new Promise((r) => setTimeout(r, 500));
}
health.close();

const started = Date.now();
const per = Math.ceil(count / workers);
const progress = new Array(workers).fill(0);
const results = await Promise.all(
  Array.from(
    { length: workers },
    (_, w) =>
      new Promise((resolve, reject) => {
        const worker = new Worker(new URL('./fuzz-worker.mjs', import.meta.url), {
          workerData: {
            address,
            seed: seed * 1000 + w,
            count: Math.min(per, count - w * per),
            concurrency: Number(opt.concurrency),
            inProcess,
            policyDir,
            configFile: join(tmp, 'config.yaml'),
          },
        });
        worker.on('message', (m) => {
          if (m.progress !== undefined) {
            progress[w] = m.progress;
            const sent = progress.reduce((a, b) => a + b, 0);
            log(`${sent} / ${count}  (${Math.round(sent / ((Date.now() - started) / 1000))}/s)`);
          }
          if (m.done) resolve(m);
        });
        worker.on('error', reject);
      }),
  ),
);
const seconds = (Date.now() - started) / 1000;
stopping = true;
server?.kill('SIGTERM');
rmSync(tmp, { recursive: true, force: true });

const total = {
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
for (const { stats, findings: f } of results) {
  for (const k of [
    'sent',
    'allowed',
    'denied',
    'approval',
    'server_errors',
    'grpc_errors',
    'bad_status',
    'wrong_allows',
    'judged_by_decoders',
    'decoder_errors',
  ])
    total[k] += stats[k];
  for (const [k, v] of Object.entries(stats.by_code)) total.by_code[k] = (total.by_code[k] ?? 0) + v;
  for (const [k, v] of Object.entries(stats.by_kind)) total.by_kind[k] = (total.by_kind[k] ?? 0) + v;
  findings.push(...f);
}
const summary = {
  seed,
  count,
  workers,
  transport: inProcess ? 'in-process' : 'grpc',
  seconds: Math.round(seconds),
  rate_per_s: Math.round(total.sent / seconds),
  crashes: crashed ? 1 : 0,
  ...total,
  findings: findings.slice(0, 20),
};
if (opt.json) console.log(JSON.stringify(summary));
else {
  console.log(JSON.stringify({ ...summary, findings: undefined }, null, 2));
  for (const f of findings.slice(0, 10))
    console.log(`${f.kind}: ${f.detail}\n  headers ${JSON.stringify(f.headers)}\n  body ${f.body.slice(0, 300)}`);
}
process.exitCode = crashed || total.grpc_errors || total.bad_status || total.wrong_allows || total.server_errors || total.decoder_errors ? 1 : 0;
