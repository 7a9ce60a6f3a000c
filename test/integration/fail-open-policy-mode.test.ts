// The other half of the guarantee: with `body.malformed: policy` the server does not answer what it cannot
// represent; it hands the policy `input.mcp.error`, and the pack must deny every such body of the fail-open corpus
// (header_mismatch with the JSON-RPC -32020 body the specification requires).
import { readdirSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckPipeline } from '../../src/check/pipeline.js';
import { requestForBody, requestFromJson } from '../../src/check/check-request.js';
import { MALFORMED_STATUS, REFUSED_ALWAYS } from '../../src/shared/errors.js';
import { createIdentityResolver } from '../../src/identity/resolve.js';
import { loadConfig } from '../../src/config/load.js';
import { loadPolicyFromBundleBytes } from '../../src/policy/load.js';
import type { Policy } from '../../src/rego-wasm/opa-wasm.js';
import { testSettings } from '../helpers/pipeline.js';
import { buildBundleFile } from '../helpers/server.js';
import { repoRoot } from '../helpers/tools.js';

const corpus = join(repoRoot, 'test/fixtures/fail-open');
interface Case {
  description: string;
  message?: unknown;
  body?: string;
  /** A whole CheckRequest (for cases that are about the HTTP request, not its body). */
  request?: unknown;
  headers?: Record<string, string>;
  principal?: string;
  expect: { decision: string; rule?: string };
}
const parseLevel = readdirSync(corpus, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(join(corpus, d.name)).map((f) => ({ file: `${d.name}/${f}`, c: JSON.parse(readFileSync(join(corpus, d.name, f), 'utf8')) as Case })),
  )
  .filter(({ c }) => c.expect.rule !== undefined && c.expect.rule in MALFORMED_STATUS);
// Forms upstreams read differently (charsets, ambiguous media types, BOMs, upgrades) never reach the policy.
const serverAnswered = parseLevel.filter(({ c }) => !REFUSED_ALWAYS.has(c.expect.rule!));
const refusedAlways = parseLevel.filter(({ c }) => REFUSED_ALWAYS.has(c.expect.rule!));

let tmp: string;
let policy: Policy;
beforeAll(async () => {
  const built = await buildBundleFile();
  tmp = built.tmp;
  policy = await loadPolicyFromBundleBytes(
    await readFile(built.file),
    { dataFiles: [join(corpus, 'data.yaml')], entrypoint: 'mcp/authz/decision', maxMemoryPages: 1024 },
    built.file,
  );
}, 120_000);
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('fail-open corpus with body.malformed: policy', () => {
  it('has server-answered cases of every parse-level class', () => {
    expect(new Set(serverAnswered.map(({ c }) => c.expect.rule))).toEqual(
      new Set([
        'jsonrpc_invalid_params',
        'jsonrpc_invalid_request',
        'body_number_unrepresentable',
        'header_mismatch',
        'jsonrpc_batch_not_allowed',
        'body_key_case_variant',
        'body_duplicate_key',
        'body_invalid_unicode',
      ]),
    );
  });

  it.each(serverAnswered)('$file: the pack denies what the server hands it', async ({ c }) => {
    const cfg = loadConfig({ flags: {}, env: {} });
    const pipeline = createCheckPipeline({
      settings: testSettings({ malformed: 'policy' }),
      policy: () => policy,
      identity: createIdentityResolver(cfg.identity),
    });
    const body = c.body ?? JSON.stringify(c.message);
    const o = await pipeline.check(requestForBody(body, c.headers ?? {}, { principal: c.principal }));
    expect(o.decision.allowed).toBe(false);
    expect(o.decision.reasonCode).toBe('policy_denied');
    expect(o.decision.httpStatus).toBe(400);
    if (c.expect.rule === 'header_mismatch') {
      expect(o.decision.rule).toBe('header_mismatch');
      expect(JSON.parse(o.decision.body!)).toMatchObject({ jsonrpc: '2.0', error: { code: -32020 } });
    } else {
      expect(o.decision.rule).toBe('invalid_jsonrpc');
    }
  });

  it('has refused-always cases of every such code', () => {
    expect(new Set(refusedAlways.map(({ c }) => c.expect.rule))).toEqual(REFUSED_ALWAYS);
  });

  it.each(refusedAlways)('$file: refused by the server even so, never handed to the policy', async ({ c }) => {
    const cfg = loadConfig({ flags: {}, env: {} });
    const pipeline = createCheckPipeline({
      settings: testSettings({ malformed: 'policy' }),
      policy: () => policy,
      identity: createIdentityResolver(cfg.identity),
    });
    const request =
      c.request !== undefined
        ? requestFromJson(c.request)
        : requestForBody(c.body ?? JSON.stringify(c.message), c.headers ?? {}, { principal: c.principal });
    const o = await pipeline.check(request);
    expect(o.decision.allowed).toBe(false);
    expect(o.decision.reasonCode).toBe(c.expect.rule);
    expect(o.decision.httpStatus).toBe(MALFORMED_STATUS[c.expect.rule as keyof typeof MALFORMED_STATUS]);
  });
});
