/**
 * Whether a compiled policy can read the facts (`input.mcp.urls`, `findings`, `documents`, `facts_truncated`,
 * src/facts), decided once per module from its bytes, so that a policy that never can is not given them (issue 20
 * §4). Every fact lives under `input.mcp`, so a policy can reach one only (a) through the key "mcp", or (b) through
 * the input document as a whole value. The rule, conservative (any doubt answers true):
 *
 * - The input document may be used only as the object of a lookup with a constant string key, other than "mcp"
 *   for the facts (`input.attributes`: `local.get input; i32.const K; call opa_value_get`, where K is the address of a string
 *   value that OPA's compiler wrote in the data section), or be passed as the first argument of a function compiled
 *   from the Rego (`g0.…`), whose own first parameter (the input) is held to the same rule. Any other use (iterating
 *   it: `some k; input[k]`; a key computed at run time: `input[data.k]`; a builtin: `walk(input, …)`,
 *   `json.marshal(input)`, `object.get(input, …)`; comparing it; assigning it; returning it) answers true.
 * - In `eval`, the input is the local loaded from the evaluation context's first word (`ctx->input`).
 * - A module without a name section, without `eval`, or with anything this reading does not recognise answers true.
 *
 * Values read from the input with constant keys other than "mcp" (`input.attributes`, `input.parsed_body`) hold no
 * facts, so what is done with them does not matter.
 */
import { skipImmediates } from './fuel-meter.js';
import { functionNames, funcTypes, imports, nameSection, Reader, type Section, sections } from './wasm-binary.js';

/** The type byte of the constant strings OPA's compiler writes in the data section: {type, pad, len: u32, ptr: u32}. */
const CONST_STRING = 8;

export function policyReadsFacts(wasm: Uint8Array): boolean {
  const keys = inputRootKeys(wasm);
  return keys === undefined || keys.has('mcp');
}

/**
 * The keys of the input document's root that the policy can read, when it reads the root only through the
 * constant-key lookups described above: then every other key of the root is never read, and the evaluation may be
 * given the input without them (opa-wasm.ts). Undefined: the policy may read any part of the input.
 */
export function inputRootKeys(wasm: Uint8Array): ReadonlySet<string> | undefined {
  try {
    const keys = new Set<string>();
    return rootReadOnlyByConstants(wasm, keys) ? keys : undefined;
  } catch {
    return undefined;
  }
}

function rootReadOnlyByConstants(wasm: Uint8Array, keys: Set<string>): boolean {
  const secs = sections(wasm);
  const dataSec = secs.find((s) => s.id === 11);
  if (!dataSec) return false;
  const memory = memoryImage(wasm, dataSec);
  if (!memory) return false;
  // The constant key at `addr`, when it is one of the compiler's constant strings.
  const constantKey = (addr: number): string | undefined => {
    if (addr < 0 || addr + 12 > memory.length || memory[addr] !== CONST_STRING) return undefined;
    const view = new DataView(memory.buffer, memory.byteOffset, memory.length);
    const len = view.getUint32(addr + 4, true);
    const ptr = view.getUint32(addr + 8, true);
    if (ptr + len > memory.length) return undefined;
    return new TextDecoder('utf-8', { fatal: true }).decode(memory.subarray(ptr, ptr + len));
  };
  const safeKey = (addr: number): boolean => {
    let key: string | undefined;
    try {
      key = constantKey(addr);
    } catch {
      return false;
    }
    if (key === undefined) return false;
    keys.add(key);
    return true;
  };
  const nameSec = nameSection(wasm, secs);
  const importSec = secs.find((s) => s.id === 2);
  const codeSec = secs.find((s) => s.id === 10);
  const funcSec = secs.find((s) => s.id === 3);
  const typeSec = secs.find((s) => s.id === 1);
  if (!nameSec || !codeSec || !funcSec || !typeSec) return false;
  const names = functionNames(wasm, nameSec);
  const importedFuncs = importSec ? imports(wasm, importSec).filter((i) => i.kind === 'func').length : 0;
  const types = funcTypes(wasm, typeSec);
  if (!types) return false;
  // Parameter count of every defined function (function section: type index per function).
  const params = new Map<number, number>();
  const fr = new Reader(wasm, funcSec.start);
  const defined = fr.u32();
  for (let i = 0; i < defined; i++) params.set(importedFuncs + i, types[fr.u32()]?.params.length ?? -1);
  const planned = (fn: number): boolean => /^g\d+\./.test(names.get(fn) ?? '');
  const valueGet = (fn: number): boolean => names.get(fn) === 'opa_value_get';

  let sawEval = false;
  const r = new Reader(wasm, codeSec.start);
  const count = r.u32();
  for (let i = 0; i < count; i++) {
    const size = r.u32();
    const end = r.p + size;
    const fn = importedFuncs + i;
    const name = names.get(fn);
    if (name === 'eval') {
      sawEval = true;
      if (!inputUsesAllowed(wasm, r.p, end, fn, 'eval', planned, params, valueGet, safeKey)) return false;
    } else if (name !== undefined && planned(fn)) {
      if ((params.get(fn) ?? 0) < 1) return false;
      if (!inputUsesAllowed(wasm, r.p, end, fn, 'param', planned, params, valueGet, safeKey)) return false;
    }
    r.p = end;
  }
  return sawEval;
}

interface Instr {
  op: number;
  /** The first immediate (local index, function index, i32 constant's raw LEB, memarg offset for loads). */
  imm: number;
}

/** The instructions of one function body, with the immediates the rule reads. */
function decode(wasm: Uint8Array, start: number, end: number, fn: number): Instr[] {
  const b = new Reader(wasm.subarray(0, end), start);
  const groups = b.u32();
  for (let g = 0; g < groups; g++) {
    b.u32();
    b.p++;
  }
  const out: Instr[] = [];
  while (b.p < end) {
    const at = b.p;
    const op = wasm[b.p++]!;
    const immAt = b.p;
    skipImmediates(b, op, fn, at);
    let imm = -1;
    if (op === 0x10 || (op >= 0x20 && op <= 0x22)) imm = new Reader(wasm, immAt).u32();
    else if (op === 0x41) imm = sleb32(wasm, immAt);
    else if (op === 0x28) {
      const m = new Reader(wasm, immAt);
      m.u32(); // align
      imm = m.u32(); // offset
    }
    out.push({ op, imm });
  }
  return out;
}

/**
 * Every read of the input local(s) of one function is a constant-key lookup or the first argument of a planned
 * function. `param`: the input is local 0 (OPA's plan functions take input, data, args…); `eval`: the local set
 * from `local.get 0; i32.load offset=0` (the context's input pointer), and nothing else may write that local.
 */
function inputUsesAllowed(
  wasm: Uint8Array,
  start: number,
  end: number,
  fn: number,
  kind: 'eval' | 'param',
  planned: (fn: number) => boolean,
  params: ReadonlyMap<number, number>,
  valueGet: (fn: number) => boolean,
  safeKey: (addr: number) => boolean,
): boolean {
  const code = decode(wasm, start, end, fn);
  let input = 0;
  if (kind === 'eval') {
    const seeds: number[] = [];
    for (let i = 0; i + 2 < code.length; i++) {
      const [a, b, c] = [code[i]!, code[i + 1]!, code[i + 2]!];
      if (a.op === 0x20 && a.imm === 0 && b.op === 0x28 && b.imm === 0 && c.op === 0x21) seeds.push(c.imm);
    }
    if (seeds.length !== 1) return false;
    input = seeds[0]!;
    // The input local is written once (the seed) and never teed.
    let writes = 0;
    for (const ins of code) if ((ins.op === 0x21 || ins.op === 0x22) && ins.imm === input) writes++;
    if (writes !== 1) return false;
  }
  for (let i = 0; i < code.length; i++) {
    const ins = code[i]!;
    if (ins.op !== 0x20 || ins.imm !== input) continue;
    const next = code[i + 1];
    const after = code[i + 2];
    // input.<constant string>: local.get input; i32.const K; call opa_value_get
    if (next?.op === 0x41 && after?.op === 0x10 && valueGet(after.imm) && safeKey(next.imm)) continue;
    // f(input, operands…): a run of local.get / i32.const operands, then a call of a planned function taking exactly them.
    let j = i + 1;
    while (j < code.length && (code[j]!.op === 0x41 || (code[j]!.op === 0x20 && code[j]!.imm !== input))) j++;
    const call = code[j];
    if (call?.op === 0x10 && planned(call.imm) && params.get(call.imm) === j - i) continue;
    return false;
  }
  return true;
}

function sleb32(b: Uint8Array, at: number): number {
  let result = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = b[at++]!;
    result |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80 && shift < 35);
  if (shift < 32 && byte & 0x40) result |= ~0 << shift;
  return result;
}

/** Linear memory as the active data segments initialise it (`i32.const` offsets into memory 0); else undefined. */
function memoryImage(wasm: Uint8Array, dataSec: Section): Uint8Array | undefined {
  const r = new Reader(wasm, dataSec.start);
  const count = r.u32();
  const segments: { offset: number; bytes: Uint8Array }[] = [];
  let size = 0;
  for (let i = 0; i < count; i++) {
    if (r.u32() !== 0 || wasm[r.p++] !== 0x41) return undefined; // only active segments of memory 0 at a constant
    const offset = sleb32(wasm, r.p);
    r.skipLeb();
    if (wasm[r.p++] !== 0x0b || offset < 0) return undefined;
    const bytes = r.bytes(r.u32());
    segments.push({ offset, bytes });
    size = Math.max(size, offset + bytes.length);
  }
  if (size > 64 * 1024 * 1024) return undefined;
  const memory = new Uint8Array(size);
  for (const s of segments) memory.set(s.bytes, s.offset);
  return memory;
}
