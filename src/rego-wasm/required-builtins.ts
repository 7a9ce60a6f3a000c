/**
 * The builtins a compiled policy imports from the host. OPA's wasm target implements most builtins natively;
 * the rest ("SDK-dependent" in the OPA docs) are listed by the module's exported `builtins()` function as a JSON
 * object {name: id}. Reading it needs a throwaway instance with stub imports; nothing is evaluated.
 */
export function requiredHostBuiltins(module: WebAssembly.Module): string[] {
  const memory = new WebAssembly.Memory({ initial: 5 });
  const fail = (): never => {
    throw new Error('builtin called while listing builtins');
  };
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      opa_abort: fail,
      opa_println: () => undefined,
      opa_builtin0: fail,
      opa_builtin1: fail,
      opa_builtin2: fail,
      opa_builtin3: fail,
      opa_builtin4: fail,
    },
  });
  const exports = instance.exports as Record<string, (...args: number[]) => number>;
  if (typeof exports.builtins !== 'function' || typeof exports.opa_json_dump !== 'function') {
    throw new Error('not an OPA policy module (no builtins/opa_json_dump exports)');
  }
  const addr = exports.opa_json_dump(exports.builtins());
  const bytes = new Uint8Array(memory.buffer);
  let end = addr;
  while (end < bytes.length && bytes[end] !== 0) end++;
  const json = new TextDecoder().decode(bytes.subarray(addr, end));
  return Object.keys(JSON.parse(json) as Record<string, number>).sort();
}

/** Required builtins that nobody provides, sorted. */
export function missingBuiltins(required: readonly string[], provided: Iterable<string>): string[] {
  const have = new Set(provided);
  return required.filter((b) => !have.has(b)).sort();
}
