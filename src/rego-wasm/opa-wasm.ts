import { createHash } from 'node:crypto';
import { createHostBuiltins, NONDETERMINISTIC_BUILTINS, REFUSAL_REASONS } from './builtins/index.js';
import { Deadline, DeadlineExceeded } from './deadline.js';
import { inputReads, type ReadNode, readsFacts } from './facts-reach.js';
import { PolicyLoadError } from './policy-load-error.js';
import { missingBuiltins, requiredHostBuiltins } from './required-builtins.js';
import { compilePolicyModule, instantiatePolicy, type WasmPolicyInstance } from './wasm-runtime.js';
import { STARTUP_ERROR } from '../shared/errors.js';

/** A loaded, ready policy. Immutable: a reload builds a new one beside it and swaps the reference. */
export interface Policy {
  /** Bundle revision from .manifest, else `sha256:<first 12 hex>` of the bundle or module. */
  revision: string;
  /** Where it came from (file path or URL). */
  source: string;
  /** SHA-256 of the bundle (or bare module) bytes. */
  sha256: string;
  /** SHA-256 of the data document the policy was loaded with (bundle data plus --data files). */
  dataSha256: string;
  entrypoint: string;
  entrypoints: string[];
  loadedAt: Date;
  /** Builtins the module imports from the host. */
  requiredBuiltins: string[];
  /** True when the policy calls a non-deterministic builtin (time.now_ns, uuid.*, rand.*): never cache it. */
  nondeterministic: boolean;
  /** False when the module provably cannot read the facts (facts-reach.ts): checks then do not compute them. */
  readsFacts?: boolean;
  /** The guardrails pack's default mode from its data (`mcp_authz.mode`), for the startup log. */
  mode: 'enforce' | 'audit';
  /** What it was built from, as bytes: an evaluation worker or a rollback instantiates it again from these. */
  artifact: PolicyArtifact;
  /**
   * Evaluate the entrypoint; returns OPA's raw result set. Throws an Error on evaluation failure, and
   * DeadlineExceeded when it ran longer than `budgetMs` (no budget: no deadline). After any throw the module is
   * instantiated again, so a cut-off evaluation leaves nothing behind for the next one.
   */
  evaluate(input: unknown, budgetMs?: number): unknown;
}

/** A policy as bytes (the module and its data document), enough to instantiate it anywhere. */
export interface PolicyArtifact {
  wasm: Uint8Array;
  /** The data document, serialised once. */
  dataJson: string;
  entrypoint: string;
  source: string;
  revision: string;
  sha256: string;
  maxMemoryPages: number;
}

export interface LoadOptions {
  wasm: Uint8Array;
  data: Record<string, unknown>;
  entrypoint: string;
  source: string;
  revision?: string;
  sha256?: string;
  /** Maximum WebAssembly memory in 64 KiB pages; evaluation fails (and denies) beyond it. */
  maxMemoryPages: number;
}

/** Two loads are the same revision when revision label, bundle and data are all the same. */
export const revisionKey = (p: Pick<Policy, 'revision' | 'sha256' | 'dataSha256'>): string => `${p.revision}\u0000${p.sha256}\u0000${p.dataSha256}`;

/**
 * Compile and instantiate a policy module, refusing at load time (never at the first request) a module that
 * needs a builtin nobody provides, or that lacks the entrypoint (PolicyLoadError).
 */
export async function loadWasmPolicy(opts: LoadOptions): Promise<Policy> {
  const builtins = createHostBuiltins();
  let module: WebAssembly.Module;
  let nativeIds: Map<number, string>;
  let memoryMinPages: number;
  try {
    ({ module, nativeIds, memoryMinPages } = await compilePolicyModule(new Uint8Array(opts.wasm), builtins.natives));
  } catch (err) {
    throw new PolicyLoadError(STARTUP_ERROR.policy_invalid, `${opts.source}: not a WebAssembly module: ${(err as Error).message}`);
  }

  const required = requiredHostBuiltins(module);
  const missing = missingBuiltins(required, Object.keys(builtins.functions));
  if (missing.length > 0) {
    throw new PolicyLoadError(
      STARTUP_ERROR.policy_unsupported_builtin,
      `${opts.source}: the policy uses builtins mcp-authz cannot provide in-process`,
      missing.map((b: string) => (REFUSAL_REASONS[b] ? `${b} (${REFUSAL_REASONS[b]})` : b)),
    );
  }

  // The module's own minimum (its data segments) or more; a module needing more than the maximum fails to load.
  const initial = Math.max(5, memoryMinPages);
  const memory = { initial, maximum: Math.max(initial, opts.maxMemoryPages) };
  const deadline = new Deadline();
  const instantiate = (): WasmPolicyInstance => {
    // mcp-authz's own loader: only our builtins (never the SDK's sprintf/regex.split/yaml.*), exact numbers.
    const instance = instantiatePolicy(module, memory, builtins.functions, nativeIds, deadline.refill);
    instance.setData(opts.data);
    return instance;
  };
  let loaded: WasmPolicyInstance;
  try {
    loaded = instantiate();
  } catch (err) {
    throw new PolicyLoadError(STARTUP_ERROR.policy_invalid, `${opts.source}: cannot instantiate the policy: ${errorMessage(err)}`);
  }

  const entrypoints = Object.keys(loaded.entrypoints).sort();
  if (!entrypoints.includes(opts.entrypoint)) {
    throw new PolicyLoadError(STARTUP_ERROR.entrypoint_not_found, `${opts.source}: no entrypoint "${opts.entrypoint}"`, [
      `entrypoints in this module: ${entrypoints.join(', ') || '(none)'}`,
    ]);
  }
  const entrypointId = loaded.entrypoints[opts.entrypoint]!;
  const sha256 = opts.sha256 ?? createHash('sha256').update(opts.wasm).digest('hex');
  const dataJson = JSON.stringify(opts.data);
  const dataSha256 = createHash('sha256').update(dataJson).digest('hex');
  const revision = opts.revision || `sha256:${sha256.slice(0, 12)}`;
  // What of the input the policy can read (facts-reach.ts): the module is given only that (less JSON to write and parse).
  const reads = inputReads(opts.wasm);
  const project = reads ? (input: unknown) => (isPlainObject(input) ? prune(reads, input) : input) : undefined;

  return {
    revision,
    source: opts.source,
    sha256,
    dataSha256,
    entrypoint: opts.entrypoint,
    entrypoints,
    loadedAt: new Date(),
    requiredBuiltins: required,
    nondeterministic: required.some((b: string) => NONDETERMINISTIC_BUILTINS.has(b)),
    readsFacts: readsFacts(reads),
    mode: (opts.data.mcp_authz as { mode?: string } | undefined)?.mode === 'audit' ? 'audit' : 'enforce',
    artifact: { wasm: opts.wasm, dataJson, entrypoint: opts.entrypoint, source: opts.source, revision, sha256, maxMemoryPages: opts.maxMemoryPages },
    evaluate(input: unknown, budgetMs?: number): unknown {
      try {
        builtins.startEvaluation();
        deadline.start(budgetMs);
        return loaded.evaluate(project ? project(input) : input, entrypointId);
      } catch (err) {
        // The instance may be anywhere in its work (a heap half updated): the next evaluation gets a fresh one.
        loaded = instantiate();
        if (err instanceof DeadlineExceeded) throw err;
        throw new Error(errorMessage(err));
      }
    },
  };
}

/** Instantiate a policy again from its bytes (a rollback to a kept revision, a cluster worker, the evaluation thread). */
export function instantiateArtifact(a: PolicyArtifact): Promise<Policy> {
  return loadWasmPolicy({
    wasm: a.wasm,
    data: JSON.parse(a.dataJson) as Record<string, unknown>,
    entrypoint: a.entrypoint,
    source: a.source,
    revision: a.revision,
    sha256: a.sha256,
    maxMemoryPages: a.maxMemoryPages,
  });
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && (v as { toJSON?: unknown }).toJSON === undefined;

/**
 * The part of a value a policy can read: below a node that is not a leaf, a plain object keeps only the keys the
 * policy looks up (each pruned in turn); a leaf, or any other value (an array, a string), is kept whole. A key absent
 * from the input stays absent, so `input.x` stays undefined where it was.
 */
function prune(node: ReadNode, value: unknown): unknown {
  if (node.leaf || !isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  // forEach, not for-of: no [key, value] array per child on every check.
  node.children.forEach((child, k) => {
    if (Object.hasOwn(value, k)) out[k] = prune(child, value[k]);
  });
  return out;
}

/** opa-wasm throws strings and plain objects as well as Errors. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  if (err && typeof err === 'object' && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}
