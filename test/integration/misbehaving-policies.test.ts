import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCheckPipeline } from '../../src/check/pipeline.js';
import { loadDescriptorSet } from '../../src/envoy/descriptor-set.js';
import { buildWasmBundle } from '../../src/policy/opa-cli.js';
import { loadPolicyFromBundleBytes } from '../../src/policy/load.js';
import type { Policy } from '../../src/rego-wasm/opa-wasm.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { repoRoot } from '../helpers/tools.js';
import { DEFAULT_LIMITS } from '../helpers/pipeline.js';

const dir = join(repoRoot, 'test/fixtures/policies/misbehaving');
const entrypoints = ['never', 'string_decision', 'header_injection', 'allowed_as_string', 'bad_status', 'conflict', 'plain_allow'];

describe('misbehaving policies (real opa build output) always end as denials', () => {
  const policies = new Map<string, Policy>();
  const settings = {
    limits: DEFAULT_LIMITS,
    malformed: 'deny' as const,
    decision: { validHttpStatus: loadDescriptorSet().httpStatusCodes, defaultDenyStatus: 403, defaultApprovalStatus: 403 },
    response: { managedHeaders: [] },
  };

  beforeAll(async () => {
    for (const ep of entrypoints) {
      // One build per entrypoint keeps each bundle's manifest pointing at its own rule.
      const bytes = await buildWasmBundle(dir, `misbehaving/${ep}`);
      policies.set(ep, await loadPolicyFromBundleBytes(bytes, { dataFiles: [], entrypoint: `misbehaving/${ep}`, maxMemoryPages: 256 }, ep));
    }
  }, 120_000);

  const request = mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }));

  it.each([
    ['never', 'decision_undefined', 500],
    ['string_decision', 'decision_invalid', 500],
    ['header_injection', 'decision_invalid', 500],
    ['allowed_as_string', 'decision_invalid', 500],
    ['bad_status', 'decision_invalid', 500],
    ['conflict', 'policy_eval_error', 500],
  ])('%s → deny with %s', async (ep, code, http) => {
    const outcome = await createCheckPipeline({ settings, policy: () => policies.get(ep) }).check(request);
    expect(outcome.decision.allowed).toBe(false);
    expect(outcome.decision.reasonCode).toBe(code);
    expect(outcome.response.status.code).toBe(7);
    expect(outcome.response.ok_response).toBeUndefined();
    expect(outcome.response.denied_response?.status.code).toBe(http);
  });

  it('the same harness allows when the policy says so', async () => {
    const outcome = await createCheckPipeline({ settings, policy: () => policies.get('plain_allow') }).check(request);
    expect(outcome.response.status.code).toBe(0);
  });

  it('no policy loaded → deny with policy_not_loaded (503)', async () => {
    const outcome = await createCheckPipeline({ settings, policy: () => undefined }).check(request);
    expect(outcome.decision.reasonCode).toBe('policy_not_loaded');
    expect(outcome.response.status.code).toBe(7);
    expect(outcome.response.denied_response?.status.code).toBe(503);
  });

  it('a policy needing http.send is refused at load time, naming the builtin', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-send-'));
    await writeFile(
      join(tmp, 'p.rego'),
      'package sender\nimport rego.v1\nallow if http.send({"method": "GET", "url": "http://127.0.0.1:1/"}).status_code == 200\n',
    );
    const bytes = await buildWasmBundle(tmp, 'sender/allow');
    await expect(loadPolicyFromBundleBytes(bytes, { dataFiles: [], entrypoint: 'sender/allow', maxMemoryPages: 64 }, 'sender')).rejects.toMatchObject(
      {
        code: 'policy_unsupported_builtin',
        message: expect.stringContaining('http.send'),
      },
    );
  });
});
