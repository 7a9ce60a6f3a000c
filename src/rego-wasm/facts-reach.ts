/**
 * What a compiled policy can read of its input, decided once per module from its bytes (issue 20 §2/§4): whether it
 * can read the facts (`input.mcp.urls`, `findings`, `documents`, `facts_truncated`, src/facts), so that a policy
 * that never can is not given them, and which parts of the input the module needs to be given at all. The reading,
 * conservative (any doubt reads the value whole; a root read whole means "anything"):
 *
 * - The input document, and every value looked up in it with a constant string key and kept in a local written
 *   once (`local.get X; i32.const K; call opa_value_get; local.set/tee L`, K the address of a string value OPA's
 *   compiler wrote in the data section), may only be looked up further the same way; the input itself may also be
 *   passed as the first argument of a function compiled from the Rego (`g0.…`), whose own first parameter (the
 *   input) is held to the same rule. Any other use (iterating it: `some k; input[k]`; a key computed at run time:
 *   `input[data.k]`; a builtin: `walk(input, …)`, `json.marshal(input)`; comparing, assigning, returning it) makes
 *   the value a leaf, read whole.
 * - In `eval`, the input is the local loaded from the evaluation context's first word (`ctx->input`).
 * - A module without a name section, without `eval`, or with anything this reading does not recognise reads all.
 */
import { skipImmediates } from './fuel-meter.js';
import { dataSegments, functionNames, funcTypes, imports, nameSection, Reader, type Section, sections } from './wasm-binary.js';

/** The type byte of the constant strings OPA's compiler writes in the data section: {type, pad, len: u32, ptr: u32}. */
const CONST_STRING = 8;

/** What the policy can read of the input: a tree of constant keys; a leaf is read whole (any way at all). */
export interface ReadNode {
  leaf: boolean;
  children: Map<string, ReadNode>;
}

const child = (node: ReadNode, key: string): ReadNode => {
  let c = node.children.get(key);
  if (!c) {
    c = { leaf: false, children: new Map() };
    node.children.set(key, c);
  }
  return c;
};

/** The facts' keys on a message (src/facts/enrich.ts), and `batch`, whose entries carry them too. */
const FACT_KEYS = ['urls', 'findings', 'documents', 'facts_truncated', 'batch'];

export function policyReadsFacts(wasm: Uint8Array): boolean {
  return readsFacts(inputReads(wasm));
}

/** Whether a policy reading `reads` (inputReads) can read a fact. */
export function readsFacts(reads: ReadNode | undefined): boolean {
  const mcp = reads?.children.get('mcp');
  if (!reads || reads.leaf) return true;
  if (!mcp) return false;
  return mcp.leaf || FACT_KEYS.some((k) => mcp.children.has(k));
}

/**
 * What the policy can read of the input document, as a tree of the constant keys it looks up (rule above): every
 * key not in the tree, below a node that is not a leaf, is never read, so the evaluation may be given the input
 * without it (opa-wasm.ts). Undefined: the policy may read any part of the input.
 */
export function inputReads(wasm: Uint8Array): ReadNode | undefined {
  try {
    const root: ReadNode = { leaf: false, children: new Map() };
    return readTree(wasm, root) ? root : undefined;
  } catch {
    return undefined;
  }
}

/** The module's parts the reading uses. */
interface ModuleFacts {
  constantKey(addr: number): string | undefined;
  valueGet(fn: number): boolean;
  planned(fn: number): boolean;
  params: ReadonlyMap<number, number>;
}

function readTree(wasm: Uint8Array, root: ReadNode): boolean {
  const secs = sections(wasm);
  const dataSec = secs.find((s) => s.id === 11);
  if (!dataSec) return false;
  const memory = memoryImage(wasm, dataSec);
  if (!memory) return false;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // The constant key at `addr`, when it is one of the compiler's constant strings.
  const constantKey = (addr: number): string | undefined => {
    if (addr < 0 || addr + 12 > memory.length || memory[addr] !== CONST_STRING) return undefined;
    const view = new DataView(memory.buffer, memory.byteOffset, memory.length);
    const len = view.getUint32(addr + 4, true);
    const ptr = view.getUint32(addr + 8, true);
    if (ptr + len > memory.length) return undefined;
    try {
      return decoder.decode(memory.subarray(ptr, ptr + len));
    } catch {
      return undefined;
    }
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
  const m: ModuleFacts = {
    constantKey,
    valueGet: (fn) => names.get(fn) === 'opa_value_get',
    planned: (fn) => /^g\d+\./.test(names.get(fn) ?? ''),
    params,
  };

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
      if (!readsOfFunction(decode(wasm, r.p, end, fn), 'eval', root, m)) return false;
    } else if (name !== undefined && m.planned(fn)) {
      if ((params.get(fn) ?? 0) < 1) return false;
      if (!readsOfFunction(decode(wasm, r.p, end, fn), 'param', root, m)) return false;
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
    else if (op === 0x41) imm = new Reader(wasm, immAt).s32();
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
 * Record in the tree how one function reads the input. `param`: the input is local 0 (OPA's plan functions take
 * input, data, args…); `eval`: the local set from `local.get 0; i32.load offset=0` (the context's input pointer),
 * written nowhere else. A value looked up with a constant key and kept in a local written once is followed into
 * its own lookups; any other read of an input value makes its node a leaf (read whole). False: the input root
 * itself is read whole (or the function is not understood).
 */
function readsOfFunction(code: Instr[], kind: 'eval' | 'param', root: ReadNode, m: ModuleFacts): boolean {
  let input = 0;
  const writes = new Map<number, number>();
  for (const ins of code) if (ins.op === 0x21 || ins.op === 0x22) writes.set(ins.imm, (writes.get(ins.imm) ?? 0) + 1);
  if (kind === 'eval') {
    const seeds: number[] = [];
    for (let i = 0; i + 2 < code.length; i++) {
      const [a, b, c] = [code[i]!, code[i + 1]!, code[i + 2]!];
      if (a.op === 0x20 && a.imm === 0 && b.op === 0x28 && b.imm === 0 && c.op === 0x21) seeds.push(c.imm);
    }
    if (seeds.length !== 1) return false;
    input = seeds[0]!;
    if (writes.get(input) !== 1) return false;
  } else if (writes.has(0)) return false;

  // A lookup `local.get X; i32.const K; call opa_value_get` at i, and the local its result is kept in (written once).
  const lookupAt = (i: number): { key: string | undefined; keptIn: number | undefined } | undefined => {
    const k = code[i + 1];
    const call = code[i + 2];
    if (k?.op !== 0x41 || call?.op !== 0x10 || !m.valueGet(call.imm)) return undefined;
    const key = m.constantKey(k.imm);
    const next = code[i + 3];
    const after = code[i + 4];
    let keptIn: number | undefined;
    if (next?.op === 0x21 || (next?.op === 0x22 && after?.op === 0x45)) keptIn = writes.get(next.imm) === 1 ? next.imm : undefined;
    return { key, keptIn };
  };

  // Which locals hold which input values: the input local, then (to a fixed point) locals kept from lookups on them.
  const nodes = new Map<number, ReadNode>([[input, root]]);
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < code.length; i++) {
      const ins = code[i]!;
      const node = ins.op === 0x20 ? nodes.get(ins.imm) : undefined;
      if (!node) continue;
      const l = lookupAt(i);
      if (l?.key === undefined || l.keptIn === undefined || nodes.has(l.keptIn)) continue;
      nodes.set(l.keptIn, child(node, l.key));
      changed = true;
    }
  }

  for (let i = 0; i < code.length; i++) {
    const ins = code[i]!;
    if (ins.op !== 0x20) continue;
    const node = nodes.get(ins.imm);
    if (!node) continue;
    const l = lookupAt(i);
    if (l) {
      if (l.key === undefined)
        node.leaf = true; // a key that is not a constant string: the value may be read anywhere
      else if (l.keptIn === undefined) child(node, l.key).leaf = true;
      continue;
    }
    if (node === root) {
      // f(input, operands…): a run of local.get / i32.const operands, then a call of a planned function taking exactly them.
      let j = i + 1;
      while (j < code.length && (code[j]!.op === 0x41 || (code[j]!.op === 0x20 && nodes.get(code[j]!.imm) !== root))) j++;
      const call = code[j];
      if (call?.op === 0x10 && m.planned(call.imm) && m.params.get(call.imm) === j - i) continue;
    }
    node.leaf = true;
  }
  return !root.leaf;
}

/** Linear memory as the active data segments initialise it (`i32.const` offsets into memory 0); else undefined. */
function memoryImage(wasm: Uint8Array, dataSec: Section): Uint8Array | undefined {
  const segments = dataSegments(wasm, dataSec);
  let size = 0;
  for (const s of segments) {
    if (s.offset === undefined || s.offset < 0) return undefined; // only active segments of memory 0 at a constant
    size = Math.max(size, s.offset + s.bytes.length);
  }
  if (size > 64 * 1024 * 1024) return undefined;
  const memory = new Uint8Array(size);
  for (const s of segments) memory.set(s.bytes, s.offset!);
  return memory;
}
