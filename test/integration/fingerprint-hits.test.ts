import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FINGERPRINT } from '../../src/check/fingerprint.js';
import { type CheckOutcome, completeFacts, createCheckPipeline } from '../../src/check/pipeline.js';
import type { CheckRequestWire } from '../../src/check/request.js';
import { loadConfig } from '../../src/config/load.js';
import { readCheckRequest } from '../../src/envoy/check-request-reader.js';
import { loadDescriptors } from '../../src/envoy/descriptors.js';
import { createFingerprinter } from '../../src/envoy/request-fingerprint.js';
import { createIdentityResolver } from '../../src/identity/resolve.js';
import type { Policy } from '../../src/rego-wasm/opa-wasm.js';
import { testCache, testSettings } from '../helpers/pipeline.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { buildBundleFile, loadJsonRpcPack, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Hits from the request's bytes (docs/decision-cache.md): the real pack (opa build → WASM), real CheckRequest bytes
 * (the serializer grpc clients use), and the server answering them over gRPC. A fingerprint hit must answer exactly
 * as the full path does, with this request's own JSON-RPC id and request id in its answer and its records.
 */
const serializer = loadDescriptors().packageDefinition['envoy.service.auth.v3.Authorization'] as unknown as {
  Check: { requestSerialize(v: unknown): Buffer };
};
const bytesOf = (req: unknown): Buffer => serializer.Check.requestSerialize(req);

let tmp: string;
let policy: Policy;

beforeAll(async () => {
  ({ policy, tmp } = await loadJsonRpcPack());
}, 120_000);
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A tools/call as Envoy sends it, with its own JSON-RPC id, request id, receive time and source port. */
function call(tool: string, args: Record<string, unknown>, id: number | string, n = Number(String(id).length)) {
  const req = mcpCheckRequest(toolCall(tool, args, id), {
    headers: { 'x-request-id': `req-${id}`, traceparent: `00-${'a'.repeat(31)}${n}-${'b'.repeat(16)}-01` },
  });
  req.attributes.request.time = { seconds: String(1735689600 + n), nanos: n };
  req.attributes.source.address.socket_address.port_value = 52000 + n;
  (req.attributes.request.http as Record<string, unknown>).id = String(7433617387390386455n + BigInt(n));
  return req;
}

function pipelineWith(extra: { identity?: ReturnType<typeof createIdentityResolver> } = {}) {
  const cache = testCache();
  const records: CheckOutcome[] = [];
  const pipeline = createCheckPipeline({
    settings: testSettings(),
    policy: () => policy,
    cache,
    identity: extra.identity ?? createIdentityResolver(loadConfig({ flags: {}, env: {} }).identity),
    record: (o) => records.push(o),
  });
  const fingerprint = createFingerprinter(pipeline.fingerprints!);
  /** What the transport does (envoy/authorization.ts): a fingerprint hit, else read, fingerprint and check. */
  const check = async (req: unknown): Promise<CheckOutcome> => {
    const bytes = bytesOf(req);
    const fp = fingerprint(bytes);
    const hit = fp && pipeline.checkFingerprint(fp, () => readCheckRequest(bytes));
    if (hit) return hit;
    const read: CheckRequestWire = readCheckRequest(bytes);
    if (fp) read[FINGERPRINT] = fp;
    return pipeline.checkNow(read);
  };
  return { cache, pipeline, check, records };
}

describe('hits by fingerprint, in the pipeline', () => {
  it('answers a request that differs only in its ids, time and port from its fingerprint, as the full path would', async () => {
    const { check, records } = pipelineWith();
    const args = { url: 'https://httpbin.org/get' };
    const miss = await check(call('fetch_url', args, 1)); // stores the answer under its key and its fingerprint
    const hit = await check(call('fetch_url', args, 3));
    expect([miss.cache, hit.cache]).toEqual(['miss', 'hit']);
    expect([miss.fingerprint, hit.fingerprint]).toEqual([undefined, true]);
    expect(Object.keys(hit.timings)).toEqual(['cache']);
    expect(hit.response).toEqual(miss.response);
    expect(hit.decision).toEqual(miss.decision);
    // The records read this request's own fields.
    expect(hit.view!.input.mcp).toMatchObject({ method: 'tools/call', tool: 'fetch_url', id: 3, is_batch: false });
    expect(hit.view!.headers['x-request-id']).toBe('req-3');
    expect(hit.view!.headers.traceparent).toContain(`${'a'.repeat(31)}1-`);
    expect(hit.view!.input.identity).toEqual(miss.view!.input.identity);
    expect(records.at(-1)).toBe(hit);
  });

  it('a cached JSON-RPC error carries the id of the request it answers', async () => {
    const { check } = pipelineWith();
    const args = { url: 'https://malicious.com' };
    await check(call('fetch_url', args, 41));
    await check(call('fetch_url', args, 42));
    const hit = await check(call('fetch_url', args, 43));
    const other = await check(call('fetch_url', args, 'abc'));
    expect(hit.fingerprint).toBe(true);
    expect(JSON.parse(hit.response.denied_response!.body)).toMatchObject({ jsonrpc: '2.0', id: 43, error: { code: expect.any(Number) } });
    // A string id of another length is another fingerprint (the length is in it), still the same full key.
    expect(other.cache).toBe('hit');
    expect(JSON.parse(other.response.denied_response!.body).id).toBe('abc');
  });

  it('expanding a hit gives the input the full path builds for that request', async () => {
    const { check } = pipelineWith();
    const args = { url: 'https://httpbin.org/get' };
    await check(call('fetch_url', args, 5));
    await check(call('fetch_url', args, 6));
    const hit = await check(call('fetch_url', args, 7));
    expect(hit.fingerprint).toBe(true);
    expect(hit.view!.input.attributes).toBeUndefined();
    completeFacts(hit);
    const direct = createCheckPipeline({
      settings: testSettings(),
      policy: () => policy,
      identity: createIdentityResolver(loadConfig({ flags: {}, env: {} }).identity),
    });
    const expected = await direct.check(readCheckRequest(bytesOf(call('fetch_url', args, 7))));
    expect(hit.view!.input).toEqual(expected.view!.input);
  });

  it('never stands for another request: other arguments, tools, headers or principals miss', async () => {
    const { check } = pipelineWith();
    const args = { url: 'https://httpbin.org/get' };
    await check(call('fetch_url', args, 1));
    await check(call('fetch_url', args, 2));
    expect((await check(call('fetch_url', { url: 'https://httpbin.org/get?x' }, 3))).cache).toBe('miss');
    expect((await check(call('http_proxy', args, 4))).cache).toBe('miss');
    const tenant = call('fetch_url', args, 5);
    (tenant.attributes.request.http.headers as Record<string, string>)['x-tenant'] = 'b';
    expect((await check(tenant)).cache).toBe('miss');
    const principal = call('fetch_url', args, 6);
    principal.attributes.source.principal = 'spiffe://cluster.local/ns/agents/sa/other';
    expect((await check(principal)).cache).toBe('miss');
  });

  it('keeps no fingerprint for a require_approval (its approval id is per request)', async () => {
    const { check } = pipelineWith();
    const args = { amount: 50000 };
    const outcomes = [];
    for (const id of [1, 2, 3]) outcomes.push(await check(call('create_payment', args, id)));
    expect(outcomes.map((o) => o.decision.kind)).toEqual(['require_approval', 'require_approval', 'require_approval']);
    expect(outcomes.map((o) => o.fingerprint)).toEqual([undefined, undefined, undefined]);
    expect(new Set(outcomes.map((o) => o.decision.approvalId)).size).toBe(1);
  });

  it('is off when tokens are verified: the identity then depends on keys and the clock', () => {
    const cfg = loadConfig({ flags: {}, env: {} }).identity;
    const jwt = { ...cfg, jwt: { ...cfg.jwt, enabled: true, jwks_url: 'https://issuer.example/jwks', issuers: ['https://issuer.example'] } };
    const identity = createIdentityResolver(jwt as typeof cfg);
    expect(identity.pure).toBe(false);
    const pipeline = createCheckPipeline({ settings: testSettings(), policy: () => policy, cache: testCache(), identity });
    expect(pipeline.fingerprints).toBeUndefined();
    identity.close();
  });
});

describe('hits by fingerprint: redaction in the decision log', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    // A policy whose message quotes the request's credential: the log must scrub it on every hit as on a miss.
    dir = await mkdtemp(join(tmpdir(), 'mcp-authz-fingerprint-redact-'));
    await writeFile(
      join(dir, 'policy.rego'),
      [
        'package fp.leak',
        'import rego.v1',
        'decision := {"allowed": false, "rule": "r", "message": sprintf("key %s refused", [input.attributes.request.http.headers["x-api-key"]])}',
      ].join('\n'),
    );
    const built = await buildBundleFile(dir, 'fp/leak/decision');
    server = await startTestServer({ bundle: built.file, entrypoint: 'fp/leak/decision' });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("scrubs the entry's secrets and this request's own from every line", async () => {
    for (const id of [21, 22, 23]) {
      const req = call('fetch_url', { url: 'https://httpbin.org/get' }, id);
      (req.attributes.request.http.headers as Record<string, string>)['x-api-key'] = 'sk-live-0123456789';
      await server.client.check(req);
    }
    const metrics = await server.app.metrics.metricsText();
    expect(metrics).toMatch(/^mcp_authz_decision_cache_fingerprint_hits_total 2$/m);
    const lines = server.decisions.slice(-3);
    expect(lines.map((l) => l.message)).toEqual(['key [REDACTED] refused', 'key [REDACTED] refused', 'key [REDACTED] refused']);
    expect(JSON.stringify(lines)).not.toContain('sk-live');
  });
});

describe('hits by fingerprint, over gRPC', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcp-authz-fingerprint-'));
    const config = join(dir, 'config.yaml');
    await writeFile(config, 'observability:\n  decision_log:\n    log_input: true\n');
    server = await startTestServer({}, config);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the server answers repeats from their fingerprint, and logs each with its own ids', async () => {
    const args = { url: 'https://httpbin.org/get' };
    const answers = [];
    for (const id of [11, 12, 13, 14]) answers.push(await server.client.check(call('fetch_url', args, id)));
    for (const a of answers) expect(a).toEqual(answers[0]);
    const metrics = await server.app.metrics.metricsText();
    // The first stored its answer under its fingerprint too: the three repeats are fingerprint hits.
    expect(metrics).toMatch(/^mcp_authz_decision_cache_hits_total 3$/m);
    expect(metrics).toMatch(/^mcp_authz_decision_cache_fingerprint_hits_total 3$/m);
    const lines = server.decisions.slice(-4);
    expect(lines.map((l) => l.request_id)).toEqual(['req-11', 'req-12', 'req-13', 'req-14']);
    expect(lines.map((l) => l.mcp.id)).toEqual([11, 12, 13, 14]);
    // log_input: the hit's line carries the input of its own request (read when the line is written).
    const input = lines[3]!.input;
    expect(input.attributes.request.http.headers['x-request-id']).toBe('req-14');
    expect(input.parsed_body.id).toBe(14);
  });
});
