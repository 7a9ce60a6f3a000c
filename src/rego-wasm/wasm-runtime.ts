import { parseExact, stringifyExact } from './builtins/exact-json.js';
import { BuiltinHalt } from './builtins/halt.js';
import { parseRegoValue, toJson } from './builtins/rego-value.js';
import { FUEL_BUILTIN_ID, FUEL_PER_REFILL, meterFuel } from './fuel-meter.js';
import type { HostBuiltin } from './host-builtin.js';
import { type NativeOverride, redirectNatives } from './wasm-natives.js';

/** An instantiated OPA policy module (ABI 1.x), the counterpart of the opa-wasm SDK's LoadedPolicy. */
export interface WasmPolicyInstance {
  entrypoints: Record<string, number>;
  setData(data: unknown): void;
  /**
   * Evaluate one entrypoint; returns the result set's JSON text. A Uint8Array input is taken as the input's JSON
   * text, already UTF-8 encoded (as the SDK takes an ArrayBuffer): the evaluation thread receives inputs that way.
   */
  evaluateJson(input: unknown, entrypoint: number): string;
  evaluate(input: unknown, entrypoint: number): unknown;
}

interface PolicyExports {
  memory?: WebAssembly.Memory;
  opa_malloc(size: number): number;
  opa_json_parse(addr: number, len: number): number;
  opa_json_dump(addr: number): number;
  opa_value_dump?(addr: number): number;
  opa_heap_ptr_get(): number;
  opa_heap_ptr_set(addr: number): void;
  builtins(): number;
  entrypoints(): number;
  opa_eval?(reserved: number, entrypoint: number, data: number, input: number, inputLen: number, heap: number, format: number): number;
  opa_eval_ctx_new(): number;
  opa_eval_ctx_set_input(ctx: number, addr: number): void;
  opa_eval_ctx_set_data(ctx: number, addr: number): void;
  opa_eval_ctx_set_entrypoint(ctx: number, id: number): void;
  opa_eval_ctx_get_result(ctx: number): number;
  eval(ctx: number): number;
  opa_wasm_abi_version?: WebAssembly.Global | number;
  opa_wasm_abi_minor_version?: WebAssembly.Global | number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Instantiate a policy module with mcp-authz's own builtin dispatch. The opa-wasm SDK's loader consults its own
 * builtins (sprintf, regex.split, yaml.*) before the host's and hands arguments over as doubles; this loader calls
 * only `hostBuiltins`, reads arguments with exact integers, and turns any exception inside a builtin into an
 * undefined call, as OPA does outside strict mode. Memory, ABI and evaluation follow the SDK's LoadedPolicy.
 */
export function instantiatePolicy(
  module: WebAssembly.Module,
  memoryDescriptor: WebAssembly.MemoryDescriptor,
  hostBuiltins: Record<string, HostBuiltin>,
  /** Builtin ids given to redirected natives (compilePolicyModule). */
  nativeIds: ReadonlyMap<number, string> = new Map(),
  /** Answers the metered module when its fuel runs out (deadline.ts): more fuel, or a throw that cuts it off. */
  refill: () => number = () => FUEL_PER_REFILL,
): WasmPolicyInstance {
  const memory = new WebAssembly.Memory(memoryDescriptor);
  let exports: PolicyExports | undefined;
  const byId = new Map<number, HostBuiltin>();

  const cString = (addr: number): string => {
    const bytes = new Uint8Array(memory.buffer);
    const end = bytes.indexOf(0, addr);
    return decoder.decode(bytes.subarray(addr, end < 0 ? bytes.length : end));
  };
  const growTo = (end: number): void => {
    const delta = end - memory.buffer.byteLength;
    if (delta > 0) memory.grow(Math.ceil(delta / 65536));
  };
  const copyIn = (bytes: Uint8Array, addr: number): number => {
    growTo(addr + bytes.byteLength);
    new Uint8Array(memory.buffer).set(bytes, addr);
    return bytes.byteLength;
  };
  // The input's JSON text encoded as UTF-8 straight into the module's memory (no intermediate buffer); when the
  // free memory may be too small, it grows to the exact UTF-8 length first.
  const writeIn = (text: string, addr: number): number => {
    if (memory.buffer.byteLength - addr < text.length * 3) growTo(addr + Buffer.byteLength(text, 'utf8'));
    const { read, written } = encoder.encodeInto(text, new Uint8Array(memory.buffer, addr));
    if (read !== text.length) throw new Error('the input does not fit in the policy memory');
    return written;
  };
  const dumpText = (addr: number): string => cString(exports!.opa_json_dump(addr));
  const loadText = (text: string): number => {
    const bytes = encoder.encode(text);
    const addr = exports!.opa_malloc(bytes.byteLength);
    new Uint8Array(memory.buffer).set(bytes, addr);
    const parsed = exports!.opa_json_parse(addr, bytes.byteLength);
    if (parsed === 0) throw new Error('failed to parse json value');
    return parsed;
  };

  const readArg = (addr: number, rego: boolean): unknown => {
    if (!exports!.opa_value_dump) return parseExact(dumpText(addr));
    const value = parseRegoValue(cString(exports!.opa_value_dump(addr)));
    return rego ? value : toJson(value);
  };

  const call = (id: number, args: number[]): number => {
    const impl = byId.get(id);
    if (!impl) throw new Error(`not implemented: built-in function ${id}`);
    let text: string | undefined;
    try {
      const result = impl(...args.map((a) => readArg(a, impl.regoValues === true)));
      text = result === undefined ? undefined : stringifyExact(result);
    } catch (err) {
      if (err instanceof BuiltinHalt) throw err; // fails the evaluation, as OPA's Halt errors do
      text = undefined; // a builtin error: the call is undefined (non-strict evaluation)
    }
    return text === undefined ? 0 : loadText(text);
  };

  // Synchronous: an instance is cheap to make from the compiled module, and is made again after a failed evaluation.
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      opa_abort: (addr: number) => {
        throw new Error(cString(addr));
      },
      opa_println: (addr: number) => {
        process.stderr.write(`${cString(addr)}\n`);
      },
      opa_builtin0: (id: number) => (id === FUEL_BUILTIN_ID ? refill() : call(id, [])),
      opa_builtin1: (id: number, _ctx: number, a: number) => call(id, [a]),
      opa_builtin2: (id: number, _ctx: number, a: number, b: number) => call(id, [a, b]),
      opa_builtin3: (id: number, _ctx: number, a: number, b: number, c: number) => call(id, [a, b, c]),
      opa_builtin4: (id: number, _ctx: number, a: number, b: number, c: number, d: number) => call(id, [a, b, c, d]),
    },
  });
  exports = instance.exports as unknown as PolicyExports;
  const e = exports;

  const major = globalNumber(e.opa_wasm_abi_version);
  if (major !== undefined && major !== 1) throw new Error(`unsupported ABI version ${major}`);
  const minor = globalNumber(e.opa_wasm_abi_minor_version) ?? 0;

  const ids = JSON.parse(dumpText(e.builtins())) as Record<string, number>;
  for (const [name, id] of [...Object.entries(ids), ...[...nativeIds].map(([i, n]) => [n, i] as const)]) {
    if (Object.hasOwn(hostBuiltins, name)) byId.set(id, hostBuiltins[name]!);
  }

  let dataAddr = loadText('{}');
  const baseHeapPtr = e.opa_heap_ptr_get();
  let dataHeapPtr = baseHeapPtr;
  const entrypoints = JSON.parse(dumpText(e.entrypoints())) as Record<string, number>;

  const evaluateJson = (input: unknown, entrypoint: number): string => {
    if (minor >= 2 && e.opa_eval) {
      let inputAddr = 0;
      let inputLen = 0;
      if (input !== undefined) {
        inputAddr = dataHeapPtr;
        inputLen = input instanceof Uint8Array ? copyIn(input, inputAddr) : writeIn(JSON.stringify(input), inputAddr);
      }
      return cString(e.opa_eval(0, entrypoint, dataAddr, inputAddr, inputLen, dataHeapPtr + inputLen, 0));
    }
    e.opa_heap_ptr_set(dataHeapPtr);
    const inputAddr = input === undefined ? 0 : loadText(input instanceof Uint8Array ? decoder.decode(input) : JSON.stringify(input));
    const ctx = e.opa_eval_ctx_new();
    if (inputAddr) e.opa_eval_ctx_set_input(ctx, inputAddr);
    e.opa_eval_ctx_set_data(ctx, dataAddr);
    e.opa_eval_ctx_set_entrypoint(ctx, entrypoint);
    e.eval(ctx);
    return dumpText(e.opa_eval_ctx_get_result(ctx));
  };

  return {
    entrypoints,
    setData(data: unknown) {
      e.opa_heap_ptr_set(baseHeapPtr);
      dataAddr = loadText(JSON.stringify(data));
      dataHeapPtr = e.opa_heap_ptr_get();
    },
    evaluateJson,
    evaluate: (input, entrypoint) => JSON.parse(evaluateJson(input, entrypoint)) as unknown,
  };
}

/**
 * Compile policy bytes, first redirecting `natives` (the natives that differ from OPA, builtins/natives.ts) to host
 * builtins (wasm-natives.ts), then metering fuel (fuel-meter.ts) so that an evaluation can be cut off at its
 * deadline. The caller passes the natives in, with the host builtins that answer them (createHostBuiltins).
 */
export async function compilePolicyModule(
  wasm: Uint8Array,
  natives: readonly NativeOverride[],
): Promise<{ module: WebAssembly.Module; nativeIds: Map<number, string>; memoryMinPages: number }> {
  const patched = redirectNatives(wasm, natives);
  const metered = meterFuel(patched.wasm);
  return {
    module: await WebAssembly.compile(metered.wasm as Uint8Array<ArrayBuffer>),
    nativeIds: patched.ids,
    memoryMinPages: patched.memoryMinPages,
  };
}

function globalNumber(g: WebAssembly.Global | number | undefined): number | undefined {
  if (g === undefined) return undefined;
  return typeof g === 'number' ? g : Number(g.value);
}
