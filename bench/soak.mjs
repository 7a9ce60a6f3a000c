// Memory soak: 1,000,000 checks through the full serving path (app.check: input, facts, cache, policy, response,
// metrics, decision log to /dev/null), drawn from the Zipf request mix, with RSS sampled every 100,000 checks.
// Usage: node --expose-gc bench/soak.mjs [checks=1000000]   (run `npm run build` and `node bench/make-zipf.mjs` first)
import { readFileSync } from 'node:fs';
import { setImmediate as turn } from 'node:timers/promises';
import pino from 'pino';
import { startApp } from '../dist/server/app.js';
import { requestFromJson } from '../dist/check/check-request.js';
import { loadConfig } from '../dist/config/load.js';
import { createDecisionLogger } from '../dist/observability/decision-log.js';

const total = Number(process.argv[2] ?? 1_000_000);
const cfg = loadConfig({ flags: { 'grpc-addr': '127.0.0.1:0', 'http-addr': '127.0.0.1:0', 'admin-addr': '127.0.0.1:0' }, env: {} });
const app = await startApp(cfg, {
  logger: pino({ level: 'silent' }),
  decisionLog: createDecisionLogger({ destination: pino.destination({ dest: '/dev/null', sync: true }) }),
  env: {},
});
const requests = JSON.parse(readFileSync(new URL('./request-zipf.json', import.meta.url), 'utf8')).map(requestFromJson);
const samples = [];
const mb = () => process.memoryUsage().rss / 1024 / 1024;
const t0 = Date.now();
for (let i = 1; i <= total; i++) {
  const res = await app.check(requests[i % requests.length]);
  if (res.status.code !== 0 && res.status.code !== 7) throw new Error('unexpected status');
  if (i % 1000 === 0) await turn(); // let timers and I/O run, as a serving process does between requests
  if (i % 100_000 === 0) {
    globalThis.gc?.();
    samples.push({ checks: i, rss_mb: +mb().toFixed(1), heap_mb: +(process.memoryUsage().heapUsed / 1024 / 1024).toFixed(1) });
    process.stderr.write(`${JSON.stringify(samples.at(-1))}\n`);
  }
}
const seconds = (Date.now() - t0) / 1000;
// Least-squares slope of RSS over the second half (after warm-up), in MB per 100k checks.
const tail = samples.slice(Math.floor(samples.length / 2));
const mx = tail.reduce((a, s) => a + s.checks, 0) / tail.length;
const my = tail.reduce((a, s) => a + s.rss_mb, 0) / tail.length;
const slope = tail.reduce((a, s) => a + (s.checks - mx) * (s.rss_mb - my), 0) / tail.reduce((a, s) => a + (s.checks - mx) ** 2, 0);
console.log(
  JSON.stringify(
    {
      checks: total,
      seconds,
      checks_per_second: Math.round(total / seconds),
      final_rss_mb: samples.at(-1)?.rss_mb,
      slope_mb_per_100k: +(slope * 100_000).toFixed(2),
      samples,
    },
    null,
    2,
  ),
);
await app.close();
