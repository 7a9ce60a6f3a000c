import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalId } from '../../src/check/approval-id.js';
import { createCheckPipeline, type CheckOutcome, type Evaluator } from '../../src/check/pipeline.js';
import { loadConfig } from '../../src/config/load.js';
import { identityConfigSchema } from '../../src/identity/config.js';
import { createIdentityResolver } from '../../src/identity/resolve.js';
import type { Policy } from '../../src/rego-wasm/opa-wasm.js';
import { testCache, testSettings } from '../helpers/pipeline.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { loadJsonRpcPack } from '../helpers/server.js';

/**
 * The check pipeline with the real default pack (opa build → WASM) and a real decision cache: what a hit skips,
 * and the per-request fields that must still be right on a hit.
 */
let tmp: string;
let policy: Policy;

beforeAll(async () => {
  ({ policy, tmp } = await loadJsonRpcPack());
}, 120_000);
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const denied = (id: number | string) =>
  mcpCheckRequest(toolCall('fetch_url', { url: 'https://malicious.com' }, id), { headers: { 'x-request-id': `req-${id}` } }) as never;
const allowed = (id: number | string) =>
  mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }, id), { headers: { 'x-request-id': `req-${id}` } }) as never;
const body = (o: CheckOutcome) => JSON.parse(o.response.denied_response!.body);

function cached(extra: { evaluate?: Evaluator; now?: () => number } = {}) {
  const cache = testCache();
  const pipeline = createCheckPipeline({
    settings: testSettings(),
    policy: () => policy,
    cache,
    identity: createIdentityResolver(loadConfig({ flags: {}, env: {} }).identity),
    ...extra,
  });
  return { cache, pipeline };
}

describe('check pipeline with the decision cache', () => {
  it('a hit skips facts, evaluation, validation and response building, and answers as a miss would', async () => {
    const { pipeline } = cached();
    const miss = await pipeline.check(allowed(1));
    const hit = await pipeline.check(allowed(2)); // another JSON-RPC id and x-request-id: the same entry
    expect([miss.cache, hit.cache]).toEqual(['miss', 'hit']);
    expect(Object.keys(miss.timings)).toEqual(['decode', 'input', 'identity', 'cache', 'facts', 'evaluate', 'decide', 'respond']);
    expect(Object.keys(hit.timings)).toEqual(['decode', 'input', 'identity', 'cache']);
    expect(hit.view!.input.identity).toMatchObject({ verified: false, agent: 'spiffe://cluster.local/ns/agents/sa/support-agent' });
    expect(hit.response).toBe(miss.response);
    expect(hit.response.status!.code).toBe(0);
    const uncached = await createCheckPipeline({ settings: testSettings(), policy: () => policy }).check(allowed(3));
    expect(uncached.response).toEqual(hit.response);
  });

  it('a JSON-RPC denial served from the cache echoes the current request id', async () => {
    const { pipeline } = cached();
    const first = await pipeline.check(denied(7));
    const second = await pipeline.check(denied('abc-8'));
    expect([first.cache, second.cache]).toEqual(['miss', 'hit']);
    expect(body(first).id).toBe(7);
    expect(body(second)).toEqual({ ...body(first), id: 'abc-8' });
    expect(second.response.status).toEqual(first.response.status);
    // The shared entry was not changed by the second answer.
    expect(body(await pipeline.check(denied(7))).id).toBe(7);
  });

  it("a batch denial served from the cache carries each message's current id", async () => {
    const { pipeline } = cached();
    const batch = (a: number, b: number) =>
      mcpCheckRequest([
        toolCall('fetch_url', { url: 'https://malicious.com' }, a),
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        toolCall('fetch_url', { url: 'https://httpbin.org/get' }, b),
      ]) as never;
    const first = await pipeline.check(batch(1, 2));
    const second = await pipeline.check(batch(11, 12));
    expect(second.cache).toBe('hit');
    expect(body(first).map((e: { id: number }) => e.id)).toEqual([1, 2]);
    expect(body(second).map((e: { id: number }) => e.id)).toEqual([11, 12]);
  });

  it('require_approval on a hit carries the approval id of the current request', async () => {
    const { pipeline } = cached();
    const pay = (id: number) => mcpCheckRequest(toolCall('create_payment', { amount: 20000, to: 'acme' }, id)) as never;
    const first = await pipeline.check(pay(1));
    const second = await pipeline.check(pay(2));
    expect([first.decision.kind, second.cache]).toEqual(['require_approval', 'hit']);
    const expected = approvalId(second.view!.input);
    expect(second.decision.approvalId).toBe(expected);
    expect(body(second).id).toBe(2);
    expect(second.response.denied_response!.headers!.find((h) => h.header!.key === 'x-mcp-authz-approval-id')?.header?.value).toBe(expected);
  });

  it('what input.mcp is computed from stays in the key: another session or protocol version misses', async () => {
    const { pipeline } = cached();
    const call = (headers: Record<string, string>) =>
      mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }), { headers }) as never;
    await pipeline.check(call({ 'mcp-session-id': 's-1' }));
    expect((await pipeline.check(call({ 'mcp-session-id': 's-1' }))).cache).toBe('hit');
    const other = await pipeline.check(call({ 'mcp-session-id': 's-2' }));
    expect(other.cache).toBe('miss');
    expect(other.view!.input.mcp!.session_id).toBe('s-2');
    expect((await pipeline.check(call({ 'mcp-session-id': 's-1', 'mcp-protocol-version': '2025-06-18' }))).cache).toBe('miss');
  });

  it('the minute is part of the key: a new minute evaluates again', async () => {
    let now = Date.UTC(2026, 10, 22, 10, 0, 5);
    const { pipeline } = cached({ now: () => now });
    await pipeline.check(allowed(1));
    now += 30_000;
    expect((await pipeline.check(allowed(1))).cache).toBe('hit');
    now += 30_000;
    const next = await pipeline.check(allowed(1));
    expect(next.cache).toBe('miss');
    expect(next.view!.input.now).toMatchObject({ rfc3339: '2026-11-22T10:01:00Z' });
  });

  it('awaits an asynchronous evaluator; a rejection is a policy_eval_error denial and is never cached', async () => {
    let fail = true;
    const evaluate: Evaluator = async (p, input) => {
      await new Promise((r) => setTimeout(r, 1));
      if (fail) throw new Error('deadline exceeded');
      return p.evaluate(input);
    };
    const { pipeline, cache } = cached({ evaluate });
    const failed = await pipeline.check(allowed(1));
    expect(failed.decision).toMatchObject({ allowed: false, reasonCode: 'policy_eval_error' });
    expect(failed.response.status!.code).toBe(7);
    expect(cache.size()).toBe(0);
    fail = false;
    const ok = await pipeline.check(allowed(1));
    expect([ok.cache, ok.response.status!.code]).toEqual(['miss', 0]);
  });

  it('answers in the same call when nothing waits (checkNow), and as a promise only when a stage does', async () => {
    const { pipeline } = cached();
    const miss = pipeline.checkNow(denied(1));
    expect(miss).not.toBeInstanceOf(Promise);
    expect((miss as CheckOutcome).cache).toBe('miss');
    const hit = pipeline.checkNow(denied(2));
    expect(hit).not.toBeInstanceOf(Promise);
    expect([(hit as CheckOutcome).cache, body(hit as CheckOutcome).id]).toEqual(['hit', 2]);
    // check() gives the same answer, always as a promise.
    const through = pipeline.check(denied(3));
    expect(through).toBeInstanceOf(Promise);
    expect([(await through).cache, body(await through).id]).toEqual(['hit', 3]);

    // A stage that waits: an asynchronous evaluator, a token to verify (jwt enabled).
    const slow = cached({ evaluate: async (p, input) => p.evaluate(input) }).pipeline.checkNow(allowed(1));
    expect(slow).toBeInstanceOf(Promise);
    expect((await slow).response.status!.code).toBe(0);
    const jwt = createCheckPipeline({
      settings: testSettings(),
      policy: () => policy,
      identity: createIdentityResolver(
        identityConfigSchema.parse({
          jwt: { enabled: true, hs_secret: 'a-test-secret-of-32-characters-or-more', algorithms: ['HS256'], issuers: ['iss'], audiences: ['aud'] },
        }),
      ),
    }).checkNow(allowed(1));
    expect(jwt).toBeInstanceOf(Promise);
    expect((await jwt).view!.input.identity).toMatchObject({ verified: false, error: { code: 'token_missing' } });
  });
});
