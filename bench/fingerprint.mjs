// In-process cost of a request's fingerprint (src/envoy/request-fingerprint.ts) against reading the request
// (check-request-reader.ts), for the ~2 KB tools/call CheckRequest of bench/request.json, as the gRPC server
// receives it. No gRPC; run `npm run build` first.
// Usage: node bench/fingerprint.mjs [iterations]
import { readFileSync } from 'node:fs';
import { DEFAULT_VOLATILE_HEADERS } from '../dist/cache/volatile-fields.js';
import { requestFromJson } from '../dist/check/check-request.js';
import { readCheckRequest } from '../dist/envoy/check-request-reader.js';
import { loadDescriptors } from '../dist/envoy/descriptors.js';
import { createFingerprinter } from '../dist/envoy/request-fingerprint.js';

const n = Number(process.argv[2] ?? 100_000);
const serializer = loadDescriptors().packageDefinition['envoy.service.auth.v3.Authorization'].Check;
const bytes = serializer.requestSerialize(requestFromJson(JSON.parse(readFileSync(new URL('request.json', import.meta.url), 'utf8'))));
const fingerprint = createFingerprinter({ volatileHeaders: new Set(DEFAULT_VOLATILE_HEADERS), requestTime: true, httpId: true, sourcePort: true });
const entries = new Map([[fingerprint(bytes).key, true]]);

const cases = {
  fingerprint: () => fingerprint(bytes),
  'fingerprint and lookup': () => entries.get(fingerprint(bytes).key),
  'read the request': () => readCheckRequest(bytes),
};
console.log(`${bytes.length} bytes, ${n} iterations each`);
for (const [name, f] of Object.entries(cases)) {
  for (let i = 0; i < Math.min(n, 20_000); i++) f();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) f();
  console.log(`${name}: ${(((performance.now() - t0) * 1000) / n).toFixed(2)} µs`);
}
