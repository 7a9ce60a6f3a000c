import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AuthzError, STARTUP_ERROR } from '../shared/errors.js';
import { readWasmBundle } from './bundle.js';
import { mergeDataFiles } from './data-files.js';
import { buildWasmBundle } from './opa-cli.js';
import type { Policy } from '../rego-wasm/index.js';
import { loadWasmPolicy } from './engine.js';
import { validatePackConfig } from '../pack/pack-config.js';

/** The guardrails pack's data document must validate (startup and every reload): a typo is an error. */
function checkPackData(data: Record<string, unknown>, source: string): void {
  const problems = validatePackConfig(data.mcp_authz);
  if (problems.length)
    throw new AuthzError(STARTUP_ERROR.data_invalid, `${source}: the guardrails configuration (data.mcp_authz) is invalid`, problems);
}

export interface PolicySourceConfig {
  /** An `opa build -t wasm` bundle (.tar.gz) or a bare policy.wasm. */
  bundle?: string;
  /** A directory of .rego files compiled with the opa CLI at load time. */
  policyDir?: string;
  /** Extra data documents (JSON or YAML), merged over the bundle's data. */
  dataFiles: string[];
  entrypoint: string;
  maxMemoryPages: number;
}

/** Build a Policy from files. Throws AuthzError with a stable code; the caller keeps the last good policy. */
export async function loadPolicyFromFiles(cfg: PolicySourceConfig): Promise<Policy> {
  if (cfg.policyDir) {
    const bytes = await buildWasmBundle(cfg.policyDir, cfg.entrypoint);
    return loadPolicyFromBundleBytes(bytes, cfg, `${cfg.policyDir} (compiled)`);
  }
  if (!cfg.bundle) throw new AuthzError(STARTUP_ERROR.policy_missing, 'no policy configured (--bundle or --policy)');
  let bytes: Buffer;
  try {
    bytes = await readFile(cfg.bundle);
  } catch (err) {
    throw new AuthzError(STARTUP_ERROR.bundle_unreadable, `--bundle ${cfg.bundle}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return loadPolicyFromBundleBytes(bytes, cfg, cfg.bundle);
}

/**
 * A bundle tarball or a bare .wasm module (told apart by the WebAssembly magic bytes).
 *
 * The revision identifies the policy AND its data: the bundle's `.manifest` revision (else `sha256:<12 hex>` of
 * the bundle), followed by `+data:<8 hex>` of the merged data document when `--data` files are merged in, so a
 * data-only change is a new revision.
 */
export async function loadPolicyFromBundleBytes(
  bytes: Buffer,
  cfg: Omit<PolicySourceConfig, 'bundle' | 'policyDir'>,
  source: string,
  revisionOverride?: string,
): Promise<Policy> {
  const isWasm = bytes.subarray(0, 4).equals(Buffer.from([0x00, 0x61, 0x73, 0x6d]));
  if (isWasm) {
    const data = await mergeDataFiles({}, cfg.dataFiles);
    checkPackData(data, source);
    const sha256 = sha(bytes);
    const revision = withData(revisionOverride || `sha256:${sha256.slice(0, 12)}`, data, cfg.dataFiles);
    return loadWasmPolicy({ wasm: bytes, data, entrypoint: cfg.entrypoint, source, sha256, maxMemoryPages: cfg.maxMemoryPages, revision });
  }
  const bundle = await readWasmBundle(bytes, cfg.entrypoint, source);
  const data = await mergeDataFiles(bundle.data, cfg.dataFiles);
  checkPackData(data, source);
  const revision = withData(revisionOverride || bundle.manifest.revision || `sha256:${bundle.sha256.slice(0, 12)}`, data, cfg.dataFiles);
  return loadWasmPolicy({
    wasm: bundle.wasm,
    data,
    entrypoint: cfg.entrypoint,
    source,
    sha256: bundle.sha256,
    maxMemoryPages: cfg.maxMemoryPages,
    revision,
  });
}

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
const withData = (label: string, data: Record<string, unknown>, files: readonly string[]): string =>
  files.length > 0 ? `${label}+data:${sha(JSON.stringify(data)).slice(0, 8)}` : label;
