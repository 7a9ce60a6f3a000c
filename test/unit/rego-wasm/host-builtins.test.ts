import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostBuiltins, NONDETERMINISTIC_BUILTINS } from '../../../src/rego-wasm/builtins/index.js';
import { readWasmBundle } from '../../../src/policy/bundle.js';
import { loadWasmPolicy } from '../../../src/rego-wasm/opa-wasm.js';
import { missingBuiltins, requiredHostBuiltins } from '../../../src/rego-wasm/required-builtins.js';
import { repoRoot, toolPath } from '../../helpers/tools.js';

const run = promisify(execFile);
const dir = join(repoRoot, 'test/fixtures/builtins');

describe('host builtins: WASM + our TypeScript builtins agree with opa eval', () => {
  let tmp: string;
  let wasmResults: Record<string, unknown>;
  let oracle: Record<string, unknown>;
  let required: string[];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-builtins-'));
    const out = join(tmp, 'bundle.tar.gz');
    await run(toolPath('opa'), ['build', '-t', 'wasm', '-e', 'builtins/results', '-o', out, dir]);
    const bundle = await readWasmBundle(await readFile(out), 'builtins/results', out);
    required = requiredHostBuiltins(await WebAssembly.compile(new Uint8Array(bundle.wasm)));
    const policy = await loadWasmPolicy({ wasm: bundle.wasm, data: {}, entrypoint: 'builtins/results', source: out, maxMemoryPages: 256 });
    wasmResults = (policy.evaluate({}) as { result: Record<string, unknown> }[])[0]!.result;
    const { stdout } = await run(toolPath('opa'), ['eval', '--format', 'json', '-d', dir, 'data.builtins.results']);
    oracle = JSON.parse(stdout).result[0].expressions[0].value;
  }, 120_000);
  afterAll(async () => rm(tmp, { recursive: true, force: true }));

  it('the fixture exercises host builtins (not only native ones)', () => {
    for (const b of [
      'time.parse_rfc3339_ns',
      'time.clock',
      'time.add_date',
      'crypto.sha256',
      'io.jwt.decode',
      'units.parse_bytes',
      'regex.replace',
      'uuid.rfc4122',
    ]) {
      expect(required).toContain(b);
    }
    expect(missingBuiltins(required, Object.keys(createHostBuiltins().functions))).toEqual([]);
  });

  const keys = [
    'parse_rfc3339_z',
    'parse_rfc3339_offset',
    'parse_rfc3339_frac_ms',
    'parse_duration',
    'clock_utc',
    'clock_tz',
    'clock_tz_half_hour',
    'date',
    'date_tz',
    'weekday',
    'weekday_tz',
    'add_date',
    'add_date_leap',
    'add_date_month_overflow',
    'sha256',
    'sha1',
    'md5',
    'hmac_sha256',
    'hmac_sha512',
    'hmac_equal',
    'hex',
    'jwt_decode',
    'object_keys',
    'regex_replace',
    'regex_find_n',
    'units_parse_bytes',
    'units_parse',
    'any_prefix',
    'any_suffix',
    'strings_count',
    'urlquery',
    'cidr_valid',
    'range_step',
    'undefined_on_bad_input',
    'uuid_stable',
    'now_stable',
  ];

  // Sets serialise as JSON arrays in no defined order: compare those as sets.
  const SETS = new Set(['object_keys']);
  it.each(keys)('%s', (key) => {
    expect(oracle).toHaveProperty(key);
    if (SETS.has(key)) expect([...(wasmResults[key] as string[])].sort()).toEqual([...(oracle[key] as string[])].sort());
    else expect(wasmResults[key]).toEqual(oracle[key]);
  });

  it('nanosecond results are exact (no float rounding)', () => {
    expect(wasmResults.parse_rfc3339_z).toBe(Number(1700000000123456789n));
    // JSON.parse of the oracle output rounds too; compare the decimal text from the raw builtin instead.
    expect(createHostBuiltins().functions['time.parse_rfc3339_ns']!('2023-11-14T22:13:20.123456789Z')).toBe(1700000000123456789n);
  });

  it('marks the non-deterministic builtins', () => {
    for (const b of ['time.now_ns', 'uuid.rfc4122', 'rand.intn', 'http.send']) expect(NONDETERMINISTIC_BUILTINS.has(b)).toBe(true);
    expect(NONDETERMINISTIC_BUILTINS.has('crypto.sha256')).toBe(false);
  });

  it('time.now_ns is fixed within one evaluation and moves between evaluations', () => {
    let t = 1_000n;
    const b = createHostBuiltins({ nowNs: () => (t += 1_000n) });
    const read = () => b.functions['time.now_ns']!() as bigint;
    b.startEvaluation();
    const first = read();
    expect(read()).toBe(first);
    b.startEvaluation();
    expect(read()).not.toBe(first);
  });
});
