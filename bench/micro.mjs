// In-process micro-benchmark of the uncached check pipeline (the one `serve` and `check` build): decode, input,
// identity, facts, evaluate the default policy, validate, build the response — for the ~2 KB tools/call
// CheckRequest of bench/request.json. No gRPC, no cache, no metrics or logging.
// Usage: node bench/micro.mjs [iterations]   (run `npm run build` first)
import { readFileSync } from 'node:fs';
import { createCheckPipeline } from '../dist/authz/pipeline.js';
import { checkSettings } from '../dist/authz/settings.js';
import { requestFromJson } from '../dist/cli/check-request.js';
import { loadConfig } from '../dist/config/load.js';
import { loadDescriptors } from '../dist/grpc/descriptors.js';
import { envoyHttpStatusCodes } from '../dist/grpc/http-status.js';
import { createIdentityResolver } from '../dist/identity/resolve.js';
import { policySource } from '../dist/policy/policy-source.js';

const iterations = Number(process.argv[2] ?? 20000);
const cfg = loadConfig({ flags: {}, env: {} });
const policy = await policySource(cfg).load();
const settings = checkSettings(cfg, envoyHttpStatusCodes(loadDescriptors().packageDefinition));
const pipeline = createCheckPipeline({ settings, policy: () => policy, identity: createIdentityResolver(cfg.identity) });
const request = requestFromJson(JSON.parse(readFileSync(new URL('./request.json', import.meta.url), 'utf8')));

const run = async (n, record) => {
  const times = record ? new Float64Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const o = await pipeline.check(request);
    if (record) times[i] = Number(process.hrtime.bigint() - t0) / 1000;
    if (o.response.status.code !== 0) throw new Error(`unexpected decision ${o.decision.reasonCode}`);
  }
  return times;
};
await run(2000, false); // warm-up (JIT)
const times = (await run(iterations, true)).sort();
const pct = (p) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))];
console.log(JSON.stringify({ iterations, p50_us: +pct(50).toFixed(1), p90_us: +pct(90).toFixed(1), p99_us: +pct(99).toFixed(1), mean_us: +(times.reduce((a, b) => a + b, 0) / times.length).toFixed(1) }));
