/**
 * Builtins that OPA's WASM library implements inside the module (C code) but not as `opa eval` does — json.marshal
 * leaves keys unsorted, net.cidr_contains ignores IPv4-mapped prefixes, base64.decode accepts bad input, … — are
 * redirected to mcp-authz's host implementation: the native function's body is replaced by a call to the module's
 * own `opa_builtinN` import with an id of ours. Function indices and every call site stay as they are.
 */

import {
  dataSegments,
  functionNames,
  funcTypes as readFuncTypes,
  type Import,
  imports,
  nameSection,
  Reader,
  sections,
  sleb,
  splice,
  uleb,
} from './wasm-binary.js';

export interface NativeOverride {
  builtin: string;
  /** The function's name in the module's name section. */
  cName: string;
}

/** The first builtin id used for redirected natives (the module's own ids are small). */
export const NATIVE_ID_BASE = 0x4000_0000;

/**
 * Redirect the natives listed (those the module contains) to host builtin ids. Returns the module bytes and the
 * id → builtin name map for the dispatcher; a module without a name section is returned unchanged.
 */
export function redirectNatives(
  wasm: Uint8Array,
  overrides: readonly NativeOverride[],
): { wasm: Uint8Array; ids: Map<number, string>; memoryMinPages: number } {
  const ids = new Map<number, string>();
  let memoryMinPages = 0;
  const secs = sections(wasm);
  const find = (id: number) => secs.find((s) => s.id === id);
  const nameSec = nameSection(wasm, secs);
  const typeSec = find(1);
  const importSec = find(2);
  const funcSec = find(3);
  const codeSec = find(10);
  if (!nameSec || !typeSec || !importSec || !funcSec || !codeSec) return { wasm, ids, memoryMinPages };

  // Function names (name section, subsection 1), by name.
  const names = new Map([...functionNames(wasm, nameSec)].map(([idx, name]) => [name, idx]));
  const types = readFuncTypes(wasm, typeSec);
  let entries: Import[];
  try {
    entries = imports(wasm, importSec);
  } catch {
    return { wasm, ids, memoryMinPages };
  }
  if (!types) return { wasm, ids, memoryMinPages };
  // Imports: count imported functions, find opa_builtin0..4, and the memory's minimum.
  let importedFuncs = 0;
  const builtinImport = new Map<number, number>(); // arity → function index
  for (const i of entries) {
    if (i.kind === 'memory') memoryMinPages = i.minPages!;
    if (i.kind !== 'func') continue;
    const m = /^opa_builtin([0-4])$/.exec(i.field);
    if (i.module === 'env' && m) builtinImport.set(Number(m[1]), importedFuncs);
    importedFuncs++;
  }
  // Active data segments must fit the memory the host provides: count the pages they reach.
  const dataSec = find(11);
  for (const d of dataSec ? dataSegments(wasm, dataSec) : []) {
    if (d.offset !== undefined && d.offset >= 0) memoryMinPages = Math.max(memoryMinPages, Math.ceil((d.offset + d.bytes.length) / 65536));
  }
  const funcTypes: number[] = [];
  {
    const r = new Reader(wasm, funcSec.start);
    const n = r.u32();
    for (let i = 0; i < n; i++) funcTypes.push(r.u32());
  }

  // New bodies, by defined-function index.
  const replace = new Map<number, number[]>();
  overrides.forEach((o, k) => {
    const fn = names.get(o.cName);
    if (fn === undefined || fn < importedFuncs) return;
    const type = types[funcTypes[fn - importedFuncs]!];
    const arity = type?.params.length ?? -1;
    const call = builtinImport.get(arity);
    if (!type || call === undefined || !type.params.every((t) => t === 0x7f) || type.results.length !== 1 || type.results[0] !== 0x7f) return;
    const id = NATIVE_ID_BASE + k;
    const body = [0x00, 0x41, ...sleb(id), 0x41, 0x00];
    for (let p = 0; p < arity; p++) body.push(0x20, ...uleb(p));
    body.push(0x10, ...uleb(call), 0x0b);
    replace.set(fn - importedFuncs, body);
    ids.set(id, o.builtin);
  });
  if (replace.size === 0) return { wasm, ids, memoryMinPages };

  // Re-emit the code section with the new bodies.
  const r = new Reader(wasm, codeSec.start);
  const count = r.u32();
  const chunks: Uint8Array[] = [];
  let payload = uleb(count).length;
  for (let i = 0; i < count; i++) {
    const size = r.u32();
    const bodyBytes = r.bytes(size);
    const body = replace.get(i);
    const entry = body ? Uint8Array.from([...uleb(body.length), ...body]) : Uint8Array.from([...uleb(size), ...bodyBytes]);
    chunks.push(entry);
    payload += entry.length;
  }
  const out = splice(wasm, codeSec.header, codeSec.end, [Uint8Array.from([10, ...uleb(payload), ...uleb(count)]), ...chunks]);
  return { wasm: out, ids, memoryMinPages };
}
