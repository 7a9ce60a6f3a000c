// In-process micro-benchmark of the check pipeline (the one `serve` and `check` build) for the ~2 KB tools/call
// CheckRequest of bench/request.json. No gRPC.
//   uncached (default): decode, input, identity, facts, evaluate the default policy, validate, build the response
//   hit:                the same with the decision cache on, every check after the first a hit
//   --record:           also the per-check record: metrics, and the decision log (to /dev/null, asynchronous)
//   --wire:             from the CheckRequest's protobuf bytes to the framed CheckResponse bytes, as the gRPC
//                       transport runs it (src/envoy/check-request-reader.ts, check-response-writer.ts)
// Usage: node bench/micro.mjs [iterations] [uncached|hit] [--record] [--wire]   (run `npm run build` first)
//   MICRO_EVAL=deadline: evaluate on this thread with the deadline kept by the fuel meter, as `serve` does
//                        (policy.eval_timeout_ms > 0); MICRO_EVAL=worker: every evaluation on the evaluation thread
//                        (what serve did before); the default evaluates in-process without a deadline.
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { createCheckPipeline } from '../dist/check/pipeline.js';
import { checkSettings } from '../dist/server/check-settings.js';
import { createDecisionCache } from '../dist/cache/decision-cache.js';
import { requestFromJson } from '../dist/check/check-request.js';
import { loadConfig } from '../dist/config/load.js';
import { readCheckRequest } from '../dist/envoy/check-request-reader.js';
import { writeCheckResponse } from '../dist/envoy/check-response-writer.js';
import { loadDescriptors } from '../dist/envoy/descriptors.js';
import { loadDescriptorSet } from '../dist/envoy/descriptor-set.js';
import { createIdentityResolver } from '../dist/identity/resolve.js';
import { createCheckRecorder } from '../dist/observability/check-observer.js';
import { createDecisionLogger } from '../dist/observability/decision-log.js';
import { createMetrics } from '../dist/observability/metrics.js';
import { createDeadlineEvaluator } from '../dist/rego-wasm/deadline-evaluator.js';
import { createEvaluator } from '../dist/rego-wasm/evaluator.js';
import { policySource } from '../dist/policy/policy-source.js';

const args = process.argv.slice(2);
const iterations = Number(args.find((a) => /^\d+$/.test(a)) ?? 20000);
const mode = args.includes('hit') ? 'hit' : 'uncached';
const record = args.includes('--record');
const wire = args.includes('--wire');
// MCP_AUTHZ_* variables apply as in serve (e.g. MCP_AUTHZ_BUNDLE and MCP_AUTHZ_ENTRYPOINT for another policy).
const cfg = loadConfig({ flags: {}, env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MCP_AUTHZ_'))) });
const policy = await policySource(cfg).load();
const settings = checkSettings(cfg, loadDescriptorSet().httpStatusCodes);
const cache =
  mode === 'hit'
    ? createDecisionCache({
        maxEntries: 1000,
        maxBytes: 1 << 24,
        ttlMs: 3_600_000,
        sizeOf: (e) => 2 * (JSON.stringify(e.decision).length + JSON.stringify(e.response).length),
      })
    : undefined;
const recorder = record
  ? createCheckRecorder(
      createMetrics({ collectDefaults: false }),
      createDecisionLogger({ destination: pino.destination({ dest: '/dev/null', sync: false }) }),
    )
  : undefined;
const evalMode = process.env.MICRO_EVAL ?? 'in-process';
const evaluator =
  evalMode === 'worker'
    ? createEvaluator({ timeoutMs: cfg.policy.eval_timeout_ms })
    : evalMode === 'deadline'
      ? createDeadlineEvaluator({ timeoutMs: cfg.policy.eval_timeout_ms })
      : undefined;
const pipeline = createCheckPipeline({
  settings,
  policy: () => policy,
  identity: createIdentityResolver(cfg.identity),
  ...(cache ? { cache } : {}),
  ...(recorder ? { record: recorder } : {}),
  ...(evaluator ? { evaluate: (p, input) => evaluator.evaluate(p, input) } : {}),
});
const request = requestFromJson(JSON.parse(readFileSync(new URL('./request.json', import.meta.url), 'utf8')));
const requestBytes = wire ? loadDescriptors().packageDefinition['envoy.service.auth.v3.Authorization'].Check.requestSerialize(request) : undefined;

let misses = 0;
const run = async (n, keep) => {
  const times = keep ? new Float64Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const o = await pipeline.check(wire ? readCheckRequest(requestBytes) : request);
    if (wire) writeCheckResponse(o.response, true);
    if (keep) times[i] = Number(process.hrtime.bigint() - t0) / 1000;
    if (o.response.status.code !== 0) throw new Error(`unexpected decision ${o.decision.reasonCode}`);
    if (o.cache === 'miss') misses++; // the first check, and each new minute (input.now is in the key)
  }
  return times;
};
await run(2000, false); // warm-up (JIT)
const cpu0 = process.cpuUsage();
const times = (await run(iterations, true)).sort();
// CPU time of this process per check (all threads): steadier than wall-clock percentiles on a shared machine.
const cpu = process.cpuUsage(cpu0);
const pct = (p) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))];
await evaluator?.close();
console.log(
  JSON.stringify({
    mode,
    record,
    wire,
    evaluate: evalMode,
    iterations,
    ...(cache ? { misses } : {}),
    cpu_us: +((cpu.user + cpu.system) / iterations).toFixed(1),
    p50_us: +pct(50).toFixed(1),
    p90_us: +pct(90).toFixed(1),
    p99_us: +pct(99).toFixed(1),
    mean_us: +(times.reduce((a, b) => a + b, 0) / times.length).toFixed(1),
  }),
);
