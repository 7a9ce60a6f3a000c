import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckOutcome, type CheckPipelineOptions, completeFacts, createCheckPipeline } from '../../../src/check/pipeline.js';
import { type ConsoleDecision, createDecisionSampler } from '../../../src/admin/console/decision-feed.js';
import { createRedactor } from '../../../src/observability/redact.js';
import type { CheckRequestWire } from '../../../src/check/request.js';
import { readWasmBundle } from '../../../src/policy/bundle.js';
import { inputReads, policyReadsFacts, type ReadNode } from '../../../src/rego-wasm/facts-reach.js';

/** A read tree as plain JSON: `*` for a value read whole. */
const shape = (n: ReadNode | undefined): unknown =>
  n === undefined ? undefined : n.leaf ? '*' : Object.fromEntries([...n.children].map(([k, c]) => [k, shape(c)]));
import { loadWasmPolicy, type Policy } from '../../../src/rego-wasm/opa-wasm.js';
import { testSettings } from '../../helpers/pipeline.js';
import { mcpCheckRequest, toolCall } from '../../helpers/requests.js';
import { buildDefaultPolicy, repoRoot, toolPath } from '../../helpers/tools.js';

const run = promisify(execFile);

// Facts only when the policy can read them (issue 20 §4): real `opa build -t wasm` modules, read at load
// (rego-wasm/facts-reach.ts), checked through the pipeline. A policy that reads the facts in any way must get them.

/** Policies that read a finding's type in different ways: each allows only when the arguments carry an e-mail address. */
const READERS: Record<string, { rego: string; data?: Record<string, unknown> }> = {
  static: { rego: 'allow if input.mcp.findings[_].type == "email"' },
  'some k; input.mcp[k]': { rego: 'allow if {\n\tsome k\n\tv := input.mcp[k]\n\tis_array(v)\n\tv[_].type == "email"\n}' },
  'walk(input)': { rego: 'allow if {\n\twalk(input, [_, v])\n\tis_object(v)\n\tv.type == "email"\n}' },
  'some k; input[k] (no "mcp")': { rego: 'allow if {\n\tsome k\n\tv := input[k]\n\tv.findings[_].type == "email"\n}' },
  'keys from data (no "mcp", no "findings")': {
    rego: 'allow if input[data.t.a][data.t.b][_].type == "email"',
    data: { t: { a: 'mcp', b: 'findings' } },
  },
  'json.marshal(input)': { rego: 'allow if contains(json.marshal(input), "\\"type\\":\\"email\\"")' },
  'object.get with a path from data': {
    rego: 'allow if object.get(input, data.t.path, [])[_].type == "email"',
    data: { t: { path: ['mcp', 'findings'] } },
  },
  'the input assigned': { rego: 'allow if {\n\tx := input\n\tx.mcp.findings[_].type == "email"\n}' },
  'a function given the input': { rego: 'f(x) := x[data.t.a]\n\nallow if f(input).findings[_].type == "email"', data: { t: { a: 'mcp' } } },
  urls: { rego: 'allow if input.mcp.urls[_].host == "docs.example.com"' },
  documents: { rego: 'allow if input.mcp.documents[_].format == "json"' },
  facts_truncated: { rego: 'allow if not input.mcp.facts_truncated\nallow if input.mcp.facts_truncated' },
};

const withEmail = mcpCheckRequest(
  toolCall('fetch_url', { url: 'https://docs.example.com/a', note: 'mail ops@example.com', doc: '{"a":1}' }),
) as unknown as CheckRequestWire;
const without = mcpCheckRequest(toolCall('fetch_url', { url: 'ftp://other.example/a' })) as unknown as CheckRequestWire;

describe('facts are computed only for a policy that can read them', () => {
  let tmp: string;
  const readers = new Map<string, Policy>();
  let compare: Policy;
  let pack: Policy;

  const build = async (name: string, rego: string, entrypoint: string, data: Record<string, unknown> = {}): Promise<Policy> => {
    const file = join(tmp, `${name}.rego`);
    await writeFile(file, rego);
    const out = join(tmp, `${name}.tar.gz`);
    await run(toolPath('opa'), ['build', '-t', 'wasm', '-e', entrypoint, '-o', out, file]);
    const bundle = await readWasmBundle(await readFile(out), entrypoint, out);
    return loadWasmPolicy({ wasm: bundle.wasm, data, entrypoint, source: out, maxMemoryPages: 2048 });
  };

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-facts-read-'));
    let i = 0;
    for (const [name, r] of Object.entries(READERS)) {
      readers.set(name, await build(`reader${i++}`, `package t\n\ndefault allow := false\n\n${r.rego}\n`, 't/allow', r.data));
    }
    compare = await build('compare', await readFile(join(repoRoot, 'bench/compare/envoy_authz.rego'), 'utf8'), 'envoy/authz/allow');
    const packOut = join(tmp, 'pack.tar.gz');
    await buildDefaultPolicy(packOut);
    const bundle = await readWasmBundle(await readFile(packOut), 'mcp/authz/decision', packOut);
    pack = await loadWasmPolicy({
      wasm: bundle.wasm,
      data: bundle.data ?? {},
      entrypoint: 'mcp/authz/decision',
      source: packOut,
      maxMemoryPages: 2048,
    });
  }, 180_000);
  afterAll(async () => rm(tmp, { recursive: true, force: true }));

  const check = (policy: Policy, req: CheckRequestWire, extra: Partial<CheckPipelineOptions> = {}) =>
    createCheckPipeline({ settings: testSettings(), policy: () => policy, ...extra }).check(req);

  for (const name of Object.keys(READERS)) {
    it(`a policy reading them (${name}) is given them`, async () => {
      const policy = readers.get(name)!;
      expect(policy.readsFacts).toBe(true);
      const yes = await check(policy, withEmail);
      expect(yes.view?.input.mcp?.findings).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'email' })]));
      expect(yes.view?.input.mcp?.urls).toEqual([expect.objectContaining({ host: 'docs.example.com' })]);
      expect(yes.view?.input.mcp?.documents).toEqual([expect.objectContaining({ format: 'json' })]);
      expect(yes.view?.input.mcp?.facts_truncated).toBe(false);
      expect(yes.decision.allowed).toBe(true);
      if (name !== 'facts_truncated') expect((await check(policy, without)).decision.allowed).toBe(false);
    });
  }

  it('the guardrails pack is given them', async () => {
    expect(pack.readsFacts).toBe(true);
    const o = await check(pack, withEmail);
    expect(o.view?.input.mcp?.findings).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'email' })]));
    expect(o.view?.input.mcp?.urls).toHaveLength(1);
  });

  it('the compare policy (input.attributes and input.parsed_body only) is not, and decides the same', async () => {
    expect(compare.readsFacts).toBe(false);
    const ok = mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' })) as unknown as CheckRequestWire;
    const o = await check(compare, ok);
    expect(o.decision.allowed).toBe(true);
    expect(o.view?.input.mcp?.tool).toBe('fetch_url');
    for (const k of ['urls', 'findings', 'documents', 'facts_truncated']) expect(o.view?.input.mcp).not.toHaveProperty(k);
    expect(o.timings.facts).toBeGreaterThanOrEqual(0); // the stage still runs (the shadow reads that it did)
    const denied = await check(compare, mcpCheckRequest(toolCall('fetch_url', { url: 'https://evil.example/get' })) as unknown as CheckRequestWire);
    expect(denied.decision.allowed).toBe(false);
  });

  it('another reader of the input (the shadow candidate, logged inputs, the CLI) gets them with any policy', async () => {
    const o = await check(compare, withEmail, { factsAlsoFor: () => true });
    expect(o.view?.input.mcp?.findings).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'email' })]));
  });

  it("the console's sampler adds them to the inputs it samples only, after the answer", async () => {
    const got: Omit<ConsoleDecision, 'seq'>[] = [];
    const sampler = createDecisionSampler<CheckOutcome>({
      perSecond: 1,
      redactor: createRedactor([]),
      inputMaxBytes: 1 << 20,
      sink: (d) => got.push(d),
      complete: completeFacts,
    });
    const sampled = await check(compare, withEmail);
    const notSampled = await check(compare, withEmail);
    expect(sampled.facts).toBeUndefined();
    expect(sampled.view?.input.mcp).not.toHaveProperty('findings');
    // Both in the same second with a budget of one a second (unless the second turns between them: then both are taken).
    sampler.offer(sampled);
    sampler.offer(notSampled);
    const input = got[0]?.input as { mcp?: { findings?: unknown; urls?: unknown } };
    expect(input.mcp?.findings).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'email' })]));
    expect(input.mcp?.urls).toEqual([expect.objectContaining({ host: 'docs.example.com' })]);
    expect(sampled.facts).toBe(true);
    if (got.length === 1) expect(notSampled.view?.input.mcp).not.toHaveProperty('findings');
    // A check that computed them is not walked again.
    const pk = await check(pack, withEmail);
    expect(pk.facts).toBe(true);
    const before = pk.view?.input.mcp?.findings;
    completeFacts(pk);
    expect(pk.view?.input.mcp?.findings).toBe(before);
  });

  it('a policy reading other members of input.mcp (input.mcp.tool) is not given them; one reading input.mcp.batch is', async () => {
    const tool = await build('tool-only', 'package t\n\ndefault allow := false\n\nallow if input.mcp.tool == "fetch_url"\n', 't/allow');
    expect(tool.readsFacts).toBe(false);
    expect(shape(inputReads(tool.artifact.wasm))).toEqual({ mcp: { tool: '*' } });
    const o = await check(tool, withEmail);
    expect(o.decision.allowed).toBe(true);
    expect(o.view?.input.mcp).not.toHaveProperty('urls');
    const batch = await build('batch', 'package t\n\ndefault allow := false\n\nallow if input.mcp.batch[_].findings[_].type == "email"\n', 't/allow');
    expect(batch.readsFacts).toBe(true);
    const req = mcpCheckRequest([toolCall('fetch_url', { note: 'ops@example.com' }, 1), toolCall('fetch_url', {}, 2)]) as unknown as CheckRequestWire;
    const b = await check(batch, req);
    expect(b.view?.input.mcp?.batch?.[0]?.findings).toEqual([expect.objectContaining({ type: 'email' })]);
    expect(b.decision.allowed).toBe(true);
  });

  it('the module is given only the parts of the input the policy can read, and decides as with the whole input', async () => {
    expect(shape(inputReads(compare.artifact.wasm))).toEqual({
      attributes: { request: { http: { method: '*' } }, source: { principal: '*' } },
      parsed_body: { jsonrpc: '*', method: '*', params: { name: '*', arguments: { url: '*' } } },
    });
    expect(shape(inputReads(readers.get('static')!.artifact.wasm))).toEqual({ mcp: { findings: '*' } });
    expect(shape(inputReads(readers.get('some k; input.mcp[k]')!.artifact.wasm))).toEqual({ mcp: '*' });
    for (const name of [
      'walk(input)',
      'some k; input[k] (no "mcp")',
      'keys from data (no "mcp", no "findings")',
      'json.marshal(input)',
      'the input assigned',
    ]) {
      expect(inputReads(readers.get(name)!.artifact.wasm), name).toBeUndefined();
    }
    // Keys present, absent and nested, read from several rules and a function: "mcp" as a value is not a key.
    const rego = [
      'package t',
      'default allow := false',
      'path_ok if input.parsed_path == ["mcp"]',
      'principal(x) := x.principal',
      'allow if {',
      '	path_ok',
      '	not input.identity',
      '	input.version.ext_authz == "v3"',
      '	startswith(principal(input.attributes.source), "spiffe://")',
      '	input.parsed_body.params.name == "fetch_url"',
      '}',
      '',
    ].join('\n');
    const policy = await build('keys', rego, 't/allow');
    expect(policy.readsFacts).toBe(false);
    expect(shape(inputReads(policy.artifact.wasm))).toEqual({
      parsed_path: '*',
      identity: '*',
      version: { ext_authz: '*' },
      attributes: { source: '*' }, // given to a function: read whole
      parsed_body: { params: { name: '*' } },
    });
    const ok = await check(policy, withEmail);
    expect(ok.decision.allowed).toBe(true);
    // The input the check built keeps every key; only the module's copy is smaller.
    expect(Object.keys(ok.view!.input)).toEqual(expect.arrayContaining(['mcp', 'parsed_query', 'truncated_body', 'now']));
    const other = mcpCheckRequest(toolCall('fetch_url', { url: 'https://docs.example.com/a' }), { path: '/other' }) as unknown as CheckRequestWire;
    expect((await check(policy, other)).decision.allowed).toBe(false);
    const withIdentity = await createCheckPipeline({
      settings: testSettings(),
      policy: () => policy,
      identity: { resolve: async () => ({ agent: 'a' }) as never },
    }).check(withEmail);
    expect(withIdentity.decision.allowed).toBe(false);
  });

  it('a policy without the marks of a compiled module is assumed to read them', async () => {
    const wasm = new Uint8Array(await readFile(join(tmp, 'compare.tar.gz'))); // not a module at all
    expect(policyReadsFacts(wasm)).toBe(true);
    expect(policyReadsFacts(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))).toBe(true); // an empty module: no eval
  });
});
