/**
 * Host builtins hand results to opa-wasm as JSON. An ArrayBuffer is taken as raw JSON text, which is how exact
 * 64-bit integers (nanosecond timestamps) cross the boundary without going through a float.
 * Returning `undefined` makes the call undefined in Rego — OPA's behaviour for a builtin error in a non-strict
 * evaluation (the rule simply does not match).
 */
export function rawJsonInteger(n: bigint): ArrayBuffer {
  const bytes = new TextEncoder().encode(n.toString());
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export const isString = (v: unknown): v is string => typeof v === 'string';
export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
