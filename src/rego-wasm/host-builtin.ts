import type { NativeOverride } from './wasm-natives.js';

/**
 * A host builtin: exact JSON arguments in (sets as sorted arrays), a result out (undefined = the call is undefined,
 * as in OPA's non-strict mode). One marked `regoValues` receives the Rego values themselves (sets, key types).
 */
// biome-ignore lint/suspicious/noExplicitAny: each builtin declares its own parameter types; only `any[]` accepts them all
export type HostBuiltin = ((...args: any[]) => unknown) & { regoValues?: boolean };

/** A native of OPA's WASM library redirected to a host builtin (wasm-natives.ts): which C function, and what answers. */
export type NativeBuiltin = NativeOverride & { impl: HostBuiltin };
