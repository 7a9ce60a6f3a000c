import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWasmBundle } from '../../../src/policy/bundle.js';
import { loadWasmPolicy, type Policy } from '../../../src/rego-wasm/opa-wasm.js';
import { PolicyLoadError } from '../../../src/rego-wasm/policy-load-error.js';
import { toolPath } from '../../helpers/tools.js';

const run = promisify(execFile);

describe('mcp-authz loader: builtin dispatch, refusal at load, never a throw', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-runtime-'));
  });
  afterAll(async () => rm(tmp, { recursive: true, force: true }));

  async function load(name: string, body: string): Promise<Policy> {
    const file = join(tmp, `${name}.rego`);
    await writeFile(file, `package ${name}\n\n${body}\n`);
    const out = join(tmp, `${name}.tar.gz`);
    await run(toolPath('opa'), ['build', '-t', 'wasm', '-e', name, '-o', out, file]);
    const bundle = await readWasmBundle(await readFile(out), name, out);
    return loadWasmPolicy({ wasm: bundle.wasm, data: {}, entrypoint: name, source: out, maxMemoryPages: 256 });
  }
  const result = (p: Policy, input: unknown = {}) => (p.evaluate(input) as { result: Record<string, unknown> }[])[0]!.result;

  it('refuses at load a policy that needs a builtin mcp-authz does not provide, naming it and why', async () => {
    const err = await load('refused', 'a := time.format(input.x)\nb := http.send({"method": "get", "url": input.u})').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyLoadError);
    expect((err as PolicyLoadError).code).toBe('policy_unsupported_builtin');
    expect((err as PolicyLoadError).details.join('\n')).toMatch(/^http\.send \(network calls/m);
    expect((err as PolicyLoadError).details).toContain('time.format');
  }, 60_000);

  it('a builtin error leaves that call undefined and the rest of the policy evaluates (OPA, non-strict)', async () => {
    const p = await load(
      'errors',
      [
        'bad_time := time.parse_rfc3339_ns(input.t)',
        'bad_regex := regex.find_n(input.re, "x", -1)',
        'bad_sprintf := sprintf(input.f, input.v)',
        'ok := true',
        'deny contains "drop" if regex.find_n("(?i)drop\\\\s+table", input.q, -1) != []',
      ].join('\n'),
    );
    const r = result(p, { t: 'not a time', re: '(?<=a)b', f: '%d', v: 'not an array', q: 'x; DROP  TABLE users' });
    expect(r).toEqual({ ok: true, deny: ['drop'] });
  }, 60_000);

  it('a result too large to build fails the evaluation instead of leaving a deny rule undefined', async () => {
    const p = await load('halts', 'deny if count(numbers.range_step(0, input.n, 1)) > 5');
    expect(result(p, { n: 10 })).toEqual({ deny: true });
    expect(() => p.evaluate({ n: 100_000_000 })).toThrow(/numbers\.range_step/);
  }, 60_000);

  it('natives that differ from opa eval are redirected: json.marshal sorts keys, cidr_contains knows IPv4-mapped prefixes', async () => {
    const p = await load(
      'natives',
      'm := json.marshal({"b": 1, "a": "<&>"})\nc := net.cidr_contains("::ffff:10.0.0.0/104", "10.1.2.3")\nv := base64.is_valid("aGk")',
    );
    expect(result(p)).toEqual({ m: '{"a":"\\u003c\\u0026\\u003e","b":1}', c: true, v: false });
  }, 60_000);

  it('integers beyond 2^53 reach builtins exactly and come back exactly', async () => {
    const p = await load(
      'exact',
      'd := time.date(input.ns)\nw := time.weekday(1700006399999999999)\nn := time.add_date(1700006399999999999, 0, 0, 1) - 1700006399999999999',
    );
    expect(result(p, { ns: 0 })).toEqual({ d: [1970, 1, 1], w: 'Tuesday', n: 86400000000000 });
  }, 60_000);
});
