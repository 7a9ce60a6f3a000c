import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWasmBundle } from '../../../src/policy/bundle.js';
import { createHostBuiltins } from '../../../src/rego-wasm/builtins/index.js';
import { DeadlineExceeded } from '../../../src/rego-wasm/deadline.js';
import { FUEL_PER_REFILL, FuelMeterError, meterFuel } from '../../../src/rego-wasm/fuel-meter.js';
import { loadWasmPolicy, type Policy } from '../../../src/rego-wasm/opa-wasm.js';
import { instantiatePolicy } from '../../../src/rego-wasm/wasm-runtime.js';
import { nameSection, sections, splice } from '../../../src/rego-wasm/wasm-binary.js';
import { redirectNatives } from '../../../src/rego-wasm/wasm-natives.js';
import { buildDefaultPolicy, toolPath } from '../../helpers/tools.js';

const run = promisify(execFile);

// Real `opa build -t wasm` output throughout: the default policy (rego/) and small policies written here.
describe('fuel metering of opa-built modules', () => {
  let tmp: string;
  let defaultWasm: Uint8Array;
  let slow: Policy;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-fuel-'));
    const out = join(tmp, 'default.tar.gz');
    await buildDefaultPolicy(out);
    defaultWasm = (await readWasmBundle(await readFile(out), 'mcp/authz/decision', out)).wasm;
    // Two nested loops of input.n iterations each: n = 3 answers at once, n = 100000 runs for hours.
    const file = join(tmp, 'slow.rego');
    await writeFile(
      file,
      'package slow\n\nallow if {\n\tr := numbers.range(1, input.n)\n\tevery i in r {\n\t\tevery j in r {\n\t\t\ti != "x"\n\t\t\tj != "x"\n\t\t}\n\t}\n}\n',
    );
    const slowOut = join(tmp, 'slow.tar.gz');
    await run(toolPath('opa'), ['build', '-t', 'wasm', '-e', 'slow/allow', '-o', slowOut, file]);
    const bundle = await readWasmBundle(await readFile(slowOut), 'slow/allow', slowOut);
    slow = await loadWasmPolicy({ wasm: bundle.wasm, data: {}, entrypoint: 'slow/allow', source: slowOut, maxMemoryPages: 2048 });
  }, 120_000);
  afterAll(async () => rm(tmp, { recursive: true, force: true }));

  it('meters every function and loop, adds one global and no import, and the result validates', () => {
    const { wasm, stats } = meterFuel(defaultWasm);
    expect(WebAssembly.validate(wasm as Uint8Array<ArrayBuffer>)).toBe(true);
    const before = new WebAssembly.Module(defaultWasm as Uint8Array<ArrayBuffer>);
    const after = new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>);
    expect(WebAssembly.Module.imports(after)).toEqual(WebAssembly.Module.imports(before));
    expect(WebAssembly.Module.exports(after)).toEqual(WebAssembly.Module.exports(before));
    expect(stats.functions).toBeGreaterThan(100);
    expect(stats.loops).toBeGreaterThan(50);
  });

  it('with a name section only the code compiled from Rego is metered; without one, every function with a loop or a call', () => {
    const named = meterFuel(defaultWasm).stats;
    const nameSec = nameSection(defaultWasm, sections(defaultWasm))!;
    expect(nameSec).toBeDefined();
    const stripped = meterFuel(splice(defaultWasm, nameSec.header, nameSec.end, []));
    expect(WebAssembly.validate(stripped.wasm as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(stripped.stats.functions).toBeGreaterThan(named.functions);
    expect(stripped.stats.loops).toBeGreaterThan(named.loops);
  });

  it('the metered default policy answers exactly as the unmetered one', () => {
    const builtins = createHostBuiltins();
    const patched = redirectNatives(defaultWasm, builtins.natives);
    const memory = { initial: Math.max(5, patched.memoryMinPages), maximum: 2048 };
    const plain = instantiatePolicy(new WebAssembly.Module(patched.wasm as Uint8Array<ArrayBuffer>), memory, builtins.functions, patched.ids);
    let refills = 0;
    const metered = instantiatePolicy(
      new WebAssembly.Module(meterFuel(patched.wasm).wasm as Uint8Array<ArrayBuffer>),
      memory,
      builtins.functions,
      patched.ids,
      () => {
        refills++;
        return FUEL_PER_REFILL;
      },
    );
    for (const m of [plain, metered]) m.setData({});
    const id = plain.entrypoints['mcp/authz/decision']!;
    const inputs = [
      {},
      { mcp: { method: 'tools/call', tool: 'fetch_url', arguments: { url: 'http://169.254.169.254/latest' } } },
      { mcp: { method: 'tools/list' }, attributes: { request: { http: { method: 'POST', path: '/mcp', headers: {} } } } },
    ];
    // Many evaluations, so that the fuel runs out and is refilled along the way.
    for (let i = 0; i < 200; i++) for (const input of inputs) expect(metered.evaluateJson(input, id)).toBe(plain.evaluateJson(input, id));
    expect(refills).toBeGreaterThan(0);
  });

  it('cuts a looping evaluation off at its budget; the next evaluation runs on a fresh instance', () => {
    expect(slow.evaluate({ n: 3 }, 1000)).toEqual([{ result: true }]);
    let err: unknown;
    try {
      slow.evaluate({ n: 100_000 }, 20);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DeadlineExceeded);
    expect((err as DeadlineExceeded).budgetMs).toBe(20);
    expect(slow.evaluate({ n: 3 }, 1000)).toEqual([{ result: true }]);
    expect(slow.evaluate({ n: 4 })).toEqual([{ result: true }]);
  });

  it('refuses a module it cannot meter, naming why', () => {
    // A module importing env.opa_builtin0 whose one function holds a SIMD instruction (0xfd), which it does not know.
    const mod = (body: number[], importName = 'opa_builtin0') =>
      Uint8Array.from([
        ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
        ...[0x01, 0x0a, 0x02, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00], // types: (i32,i32)->i32, ()->()
        ...[0x02, 8 + importName.length, 0x01, 0x03, 0x65, 0x6e, 0x76, importName.length, ...Buffer.from(importName), 0x00, 0x00],
        ...[0x03, 0x02, 0x01, 0x01], // one function of type 1
        ...[0x0a, body.length + 2, 0x01, body.length, ...body],
      ]);
    const loop = [0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b]; // loop br 0 end
    expect(meterFuel(mod(loop)).stats).toEqual({ functions: 1, loops: 1 });
    expect(WebAssembly.validate(meterFuel(mod(loop)).wasm as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(() => meterFuel(mod([0x00, 0xfd, 0x0c, 0x0b]))).toThrow(FuelMeterError);
    expect(() => meterFuel(mod([0x00, 0xfd, 0x0c, 0x0b]))).toThrow(/instruction 0xfd/);
    expect(() => meterFuel(mod(loop, 'opa_builtinX'))).toThrow(/does not import env\.opa_builtin0/);
  });
});
