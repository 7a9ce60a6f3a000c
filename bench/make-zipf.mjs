// Writes bench/request-zipf.json: a JSON array of CheckRequests for ghz to send round-robin. 1,000 distinct
// tools/call requests (different tools and arguments), drawn with a Zipf(s=1.1) distribution so a few calls are
// very common and most are rare, like real agent traffic. Deterministic (seeded).
// Usage: node bench/make-zipf.mjs [count=4000] [distinct=1000]
import { readFileSync, writeFileSync } from 'node:fs';

const count = Number(process.argv[2] ?? 4000);
const distinct = Number(process.argv[3] ?? 1000);
const base = JSON.parse(readFileSync(new URL('./request.json', import.meta.url), 'utf8'));
const body0 = JSON.parse(base.attributes.request.http.body);

let seed = 42;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const weights = Array.from({ length: distinct }, (_, k) => 1 / (k + 1) ** 1.1);
const total = weights.reduce((a, b) => a + b, 0);
const cumulative = [];
weights.reduce((acc, w, i) => (cumulative[i] = acc + w / total), 0);
const pick = () => {
  const r = rand();
  let lo = 0;
  let hi = distinct - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid] < r) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

const variant = (k) => {
  const body = structuredClone(body0);
  body.params.arguments.query.city = `city-${k}`;
  if (k % 7 === 0) body.params.arguments.url = 'https://malicious.example/';
  const req = structuredClone(base);
  req.attributes.request.http.body = JSON.stringify(body);
  req.attributes.request.http.headers['content-length'] = String(Buffer.byteLength(req.attributes.request.http.body));
  return req;
};
const variants = new Map();
const out = [];
for (let i = 0; i < count; i++) {
  const k = pick();
  if (!variants.has(k)) variants.set(k, variant(k));
  out.push(variants.get(k));
}
writeFileSync(new URL('./request-zipf.json', import.meta.url), JSON.stringify(out));
console.log(`bench/request-zipf.json: ${count} requests over ${variants.size} distinct calls`);
