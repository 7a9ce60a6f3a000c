/**
 * Fuel metering, so that an evaluation on the calling thread can be cut off at its deadline: synchronous
 * WebAssembly cannot be interrupted from outside its own thread, so the module interrupts itself. At load the
 * module gets one mutable i32 global, the fuel, and every function entry and every loop head decrements it; when it
 * reaches zero the module calls its own `opa_builtin0` import with the id FUEL_BUILTIN_ID (no import is added, so
 * no function index moves), and the host answers with more fuel after a clock read, or throws when the deadline has
 * passed, which unwinds the evaluation (wasm-runtime.ts).
 *
 * Hand-written rather than a rewriting library (binaryen's npm package is a 10+ MB compiler that would stay loaded
 * in every process, and has no fuel pass; wasm-metering has been unmaintained since 2018): the rewrite needs only to
 * walk each function's instructions to find its loops, and copy everything else byte for byte. An instruction it
 * does not know refuses the module (the load fails, the policy is not served), and the result is validated by
 * WebAssembly.compile like any module.
 */
import { functionNames, funcTypes, type Import, imports, nameSection, Reader, sections, sleb, splice, uleb } from './wasm-binary.js';

/** The builtin id the metered module passes to `opa_builtin0` when it runs out of fuel. */
export const FUEL_BUILTIN_ID = 0x3fff_ffff;

/** Fuel given at instantiation and at every refill: the host reads the clock once per this many units. */
export const FUEL_PER_REFILL = 20_000;

/** The module cannot be metered: an instruction or a layout this rewriter does not know. */
export class FuelMeterError extends Error {
  constructor(message: string) {
    super(`cannot meter the module: ${message}`);
    this.name = 'FuelMeterError';
  }
}

/** Functions and loops the rewrite metered (for tests). */
export interface MeterStats {
  functions: number;
  loops: number;
}

/**
 * Return the module with fuel metering: a new global (the fuel, FUEL_PER_REFILL at the start), and at each function
 * entry (but leaves: no loop, no call) and loop head `fuel -= 1; if (fuel == 0) fuel = opa_builtin0(FUEL_BUILTIN_ID)`.
 */
export function meterFuel(wasm: Uint8Array): { wasm: Uint8Array; stats: MeterStats } {
  const secs = sections(wasm);
  const importSec = secs.find((s) => s.id === 2);
  const codeSec = secs.find((s) => s.id === 10);
  if (!importSec || !codeSec) throw new FuelMeterError('no import or code section');

  // Imports: the index of env.opa_builtin0, and how many globals are imported (the new global's index follows them).
  let entries: Import[];
  try {
    entries = imports(wasm, importSec);
  } catch (err) {
    throw new FuelMeterError((err as Error).message);
  }
  const funcImports = entries.filter((i) => i.kind === 'func');
  const importedFuncs = funcImports.length;
  const importedGlobals = entries.filter((i) => i.kind === 'global').length;
  const refill = funcImports.findIndex((i) => i.module === 'env' && i.field === 'opa_builtin0');
  const refillType = refill < 0 ? -1 : funcImports[refill]!.type!;
  if (refill < 0) throw new FuelMeterError('it does not import env.opa_builtin0');
  const typeSec = secs.find((s) => s.id === 1);
  const refillSig = typeSec ? funcTypes(wasm, typeSec)?.[refillType] : undefined;
  if (refillSig?.params.join() !== '127,127' || refillSig.results.join() !== '127')
    throw new FuelMeterError('env.opa_builtin0 is not (i32, i32) -> i32');

  // The global section with the fuel appended (or a new one, after the sections that precede it).
  const globalSec = secs.find((s) => s.id === 6);
  let definedGlobals = 0;
  let globalBytes: number[] = [];
  if (globalSec) {
    const r = new Reader(wasm, globalSec.start);
    definedGlobals = r.u32();
    globalBytes = [...wasm.subarray(r.p, globalSec.end)];
  }
  const fuel = importedGlobals + definedGlobals;
  globalBytes.push(0x7f, 0x01, 0x41, ...sleb(FUEL_PER_REFILL), 0x0b); // (mut i32) (i32.const FUEL_PER_REFILL)
  const globalPayload = [...uleb(definedGlobals + 1), ...globalBytes];
  const newGlobalSec = Uint8Array.from([6, ...uleb(globalPayload.length), ...globalPayload]);

  const g = uleb(fuel);
  const meter = Uint8Array.from([
    ...[0x23, ...g, 0x41, 0x01, 0x6b, 0x24, ...g], // global.get fuel; i32.const 1; i32.sub; global.set fuel
    ...[0x23, ...g, 0x45, 0x04, 0x40], // global.get fuel; i32.eqz; if
    ...[0x41, ...sleb(FUEL_BUILTIN_ID), 0x41, 0x00, 0x10, ...uleb(refill), 0x24, ...g], // fuel = opa_builtin0(FUEL_BUILTIN_ID, 0)
    0x0b, // end
  ]);

  // With names, only the code compiled from Rego is metered (see planned); without, every function.
  const nameSec = nameSection(wasm, secs);
  const names = nameSec ? functionNames(wasm, nameSec) : undefined;
  const metered = (fn: number): boolean => names === undefined || planned(names.get(fn));

  const stats: MeterStats = { functions: 0, loops: 0 };
  const r = new Reader(wasm, codeSec.start);
  const count = r.u32();
  const bodies: Uint8Array[] = [];
  let payload = uleb(count).length;
  for (let i = 0; i < count; i++) {
    const size = r.u32();
    const end = r.p + size;
    const fn = importedFuncs + i;
    const body = metered(fn) ? meterBody(new Reader(wasm.subarray(0, end), r.p), meter, stats, fn) : wasm.subarray(r.p, end);
    r.p = end;
    const entry = Uint8Array.from([...uleb(body.length)]);
    bodies.push(entry, body);
    payload += entry.length + body.length;
  }
  if (r.p !== codeSec.end) throw new FuelMeterError('the code section does not end where its size says');
  const newCodeSec = [Uint8Array.from([10, ...uleb(payload), ...uleb(count)]), ...bodies];

  // Rewrite back to front, so the earlier offsets stay valid.
  let out = splice(wasm, codeSec.header, codeSec.end, newCodeSec);
  if (globalSec) out = splice(out, globalSec.header, globalSec.end, [newGlobalSec]);
  else {
    const after = secs.filter((s) => s.id >= 1 && s.id <= 5).at(-1);
    const at = after ? after.end : 8;
    out = splice(out, at, at, [newGlobalSec]);
  }
  return { wasm: out, stats };
}

/**
 * Whether a function is code OPA's compiler generated from the Rego (`eval`, whose body it writes, and the plan's
 * functions `g0.data.…`), rather than OPA's C library (value handling, JSON, numbers, strings): every loop a Rego
 * policy can make (iteration, comprehensions, `every`, `walk`) is in the former; the library's loops each run over
 * one finite value and return to it. Metering only the former keeps the cost to the Rego code's own steps.
 */
function planned(name: string | undefined): boolean {
  return name === undefined || name === 'eval' || /^g\d+\./.test(name);
}

/** Whether type `index` of the type section is `(i32, i32) -> i32`, the type of OPA's opa_builtin0 (id, context). */
/**
 * One function body with the meter at its entry and after each loop's block type. A function with no loop and no
 * call is returned as it is: it runs in time bounded by its size, and every cycle (a loop, or recursion through
 * calls) still passes a meter.
 */
function meterBody(r: Reader, meter: Uint8Array, stats: MeterStats, fn: number): Uint8Array {
  const start = r.p;
  const groups = r.u32();
  for (let i = 0; i < groups; i++) {
    r.u32();
    r.p++;
  }
  const code = r.p;
  const loops: number[] = []; // where each loop's block type ends
  let calls = false;
  while (r.p < r.b.length) {
    const at = r.p;
    const op = r.b[r.p++]!;
    skipImmediates(r, op, fn, at);
    if (op === 0x03) loops.push(r.p);
    else if (op >= 0x10 && op <= 0x13) calls = true;
  }
  if (r.p !== r.b.length || r.b[r.b.length - 1] !== 0x0b) throw new FuelMeterError(`function ${fn} does not end with end`);
  if (loops.length === 0 && !calls) return r.b.subarray(start, r.p);
  stats.functions++;
  stats.loops += loops.length;
  const parts: Uint8Array[] = [r.b.subarray(start, code), meter];
  let copied = code;
  for (const at of loops) {
    parts.push(r.b.subarray(copied, at), meter);
    copied = at;
  }
  parts.push(r.b.subarray(copied, r.p));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Step over the immediates of the instruction `op` (MVP, sign extension, saturating truncation, bulk memory, reference types, tail calls). */
export function skipImmediates(r: Reader, op: number, fn: number, at: number): void {
  if (op <= 0x01 || op === 0x05 || op === 0x0b || op === 0x0f || op === 0x1a || op === 0x1b || op === 0xd1) return;
  if (op >= 0x45 && op <= 0xc4) return; // numeric operators, sign extension: no immediates
  if (op >= 0x28 && op <= 0x3e) {
    r.u32(); // memarg: align, offset
    r.u32();
    return;
  }
  switch (op) {
    case 0x02: // block, loop, if: a block type (0x40, a value type or a type index, s33)
    case 0x03:
    case 0x04:
    case 0x0c: // br, br_if
    case 0x0d:
    case 0x10: // call, return_call
    case 0x12:
    case 0x20: // local.get/set/tee, global.get/set, table.get/set
    case 0x21:
    case 0x22:
    case 0x23:
    case 0x24:
    case 0x25:
    case 0x26:
    case 0x3f: // memory.size, memory.grow: a memory index
    case 0x40:
    case 0x41: // i32.const, i64.const
    case 0x42:
    case 0xd0: // ref.null: a heap type; ref.func: a function index
    case 0xd2:
      r.skipLeb();
      return;
    case 0x0e: {
      const n = r.u32(); // br_table: the targets and the default
      for (let i = 0; i <= n; i++) r.u32();
      return;
    }
    case 0x11: // call_indirect, return_call_indirect: type index, table index
    case 0x13:
      r.u32();
      r.u32();
      return;
    case 0x1c: {
      const n = r.u32(); // select with types
      for (let i = 0; i < n; i++) r.skipLeb();
      return;
    }
    case 0x43:
      r.p += 4;
      return;
    case 0x44:
      r.p += 8;
      return;
    case 0xfc: {
      const sub = r.u32();
      if (sub <= 7) return; // saturating truncation
      // memory.init (data, memory), data.drop, memory.copy (2 memories), memory.fill, table.init, elem.drop,
      // table.copy, table.grow, table.size, table.fill: 1 or 2 indices each
      const indices = [2, 1, 2, 1, 2, 1, 2, 1, 1, 1][sub - 8];
      if (indices === undefined) break;
      for (let i = 0; i < indices; i++) r.u32();
      return;
    }
  }
  throw new FuelMeterError(`instruction 0x${op.toString(16)} at byte ${at} of function ${fn} is not supported`);
}
