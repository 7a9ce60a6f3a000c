import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckOutcome, createCheckPipeline } from '../../../src/check/pipeline.js';
import { createRedactor } from '../../../src/observability/redact.js';
import { loadPolicyFromFiles } from '../../../src/policy/load.js';
import type { Policy } from '../../../src/rego-wasm/index.js';
import { shadowConfigSchema } from '../../../src/shadow/config.js';
import { type Answer, differenceOf } from '../../../src/shadow/difference.js';
import { createShadow } from '../../../src/shadow/shadow.js';
import { testCache, testSettings } from '../../helpers/pipeline.js';
import { mcpCheckRequest, toolCall } from '../../helpers/requests.js';

const answer = (over: Partial<Answer>): Answer => ({ decision: 'allow', rule: null, reason_code: 'allowed', headers: [], message: null, ...over });

describe('differenceOf', () => {
  it('names the most significant difference, or none', () => {
    expect(differenceOf(answer({}), answer({}))).toBeUndefined();
    expect(differenceOf(answer({}), answer({ decision: 'error', reason_code: 'policy_timeout' }))).toBe('error');
    expect(differenceOf(answer({}), answer({ decision: 'deny', rule: 'x', reason_code: 'policy_denied' }))).toBe('allow_to_deny');
    expect(differenceOf(answer({ decision: 'deny' }), answer({}))).toBe('deny_to_allow');
    expect(differenceOf(answer({}), answer({ decision: 'require_approval' }))).toBe('allow_to_require_approval');
    expect(differenceOf(answer({ decision: 'require_approval' }), answer({ decision: 'deny' }))).toBe('require_approval_to_deny');
    expect(differenceOf(answer({ decision: 'deny', rule: 'a' }), answer({ decision: 'deny', rule: 'b' }))).toBe('rule');
    expect(differenceOf(answer({ headers: ['x-a: 1'] }), answer({ headers: ['x-a: 2'] }))).toBe('headers');
    // A decision change outranks a header change.
    expect(differenceOf(answer({ headers: ['x-a: 1'] }), answer({ decision: 'deny', headers: [] }))).toBe('allow_to_deny');
  });
});

describe('the shadow queue', () => {
  let tmp: string;
  let active: Policy;
  let candidate: Policy;
  const settings = testSettings();
  const outcomes = async (n: number, cache = false): Promise<CheckOutcome[]> => {
    const pipeline = createCheckPipeline({ settings, policy: () => active, ...(cache ? { cache: testCache() } : {}) });
    const out: CheckOutcome[] = [];
    for (let i = 0; i < n; i++) out.push(await pipeline.check(mcpCheckRequest(toolCall('get_weather', { city: `c${i}` }))));
    return out;
  };
  const make = (over: Record<string, unknown>, extra: { now?: () => number; random?: () => number } = {}) => {
    const registry = new Registry();
    const shadow = createShadow({
      config: shadowConfigSchema.parse(over),
      decision: settings.decision,
      redactor: createRedactor([]),
      registry,
      ...extra,
    });
    shadow.load({ policy: candidate, from: 'test', loadedAt: new Date(0), loadedBy: 'test' });
    return { shadow, registry };
  };

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-shadow-unit-'));
    const write = async (name: string, allowed: boolean) => {
      await writeFile(join(tmp, `${name}.rego`), `package s\ndecision := {"allowed": ${allowed}, "rule": "r"}\n`);
      const p = await loadPolicyFromFiles({ policyDir: tmp, dataFiles: [], entrypoint: 's/decision', maxMemoryPages: 64 });
      await rm(join(tmp, `${name}.rego`));
      return p;
    };
    active = await write('active', true);
    candidate = await write('candidate', false);
  }, 60_000);
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('drops sampled checks, counted, when the queue is full, and never waits', async () => {
    const { shadow, registry } = make({ queue_size: 2 });
    const sampled = (await outcomes(5)).map((o) => shadow.offer(o));
    expect(sampled).toEqual([candidate.revision, candidate.revision, undefined, undefined, undefined]);
    await shadow.idle();
    const r = shadow.report();
    expect(r).toMatchObject({ checks: 2, differences: 2, dropped: { queue_full: 3, rate_limit: 0 }, by_kind: { allow_to_deny: 2 } });
    expect(await registry.getSingleMetricAsString('mcp_authz_shadow_dropped_total')).toContain(
      'mcp_authz_shadow_dropped_total{reason="queue_full"} 3',
    );
  });

  it('shadows at most max_per_second checks a second', async () => {
    let t = 10_000;
    const { shadow } = make({ max_per_second: 2 }, { now: () => t });
    const os = await outcomes(4);
    expect(os.map((o) => shadow.offer(o) !== undefined)).toEqual([true, true, false, false]);
    t += 1000;
    expect(shadow.offer(os[0]!)).toBe(candidate.revision);
    await shadow.idle();
    expect(shadow.report()).toMatchObject({ checks: 3, dropped: { rate_limit: 2 } });
  });

  it('samples sample_rate of the checks, and never a cache hit', async () => {
    const draws = [0.1, 0.9, 0.2, 0.8];
    const { shadow } = make({ sample_rate: 0.5 }, { random: () => draws.shift()! });
    expect((await outcomes(4)).map((o) => shadow.offer(o) !== undefined)).toEqual([true, false, true, false]);
    const all = make({});
    const pipeline = createCheckPipeline({ settings, policy: () => active, cache: testCache() });
    const req = mcpCheckRequest(toolCall('get_weather', { city: 'same' }));
    const miss = await pipeline.check(req);
    const hit = await pipeline.check(req);
    expect([miss.cache, hit.cache]).toEqual(['miss', 'hit']);
    expect([all.shadow.offer(miss), all.shadow.offer(hit)]).toEqual([candidate.revision, undefined]);
    await Promise.all([shadow.idle(), all.shadow.idle()]);
  });

  it('forgets queued checks of a discarded candidate', async () => {
    const { shadow } = make({});
    for (const o of await outcomes(3)) shadow.offer(o);
    shadow.discard();
    await shadow.idle();
    expect(shadow.report()).toMatchObject({ candidate: null, checks: 0, differences: 0, recent: [] });
  });
});
