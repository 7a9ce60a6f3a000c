import { readFile } from 'node:fs/promises';
import { AuthzError } from '../errors.js';
import { readWasmBundle } from './bundle.js';
import { mergeDataFiles } from './data-files.js';
import { buildWasmBundle } from './opa-cli.js';
import { loadWasmPolicy, type Policy } from './opa-wasm.js';
import { validatePackConfig } from './pack-config.js';

/** The guardrails pack's data document must validate (startup and every reload): a typo is an error. */
function checkPackData(data: Record<string, unknown>, source: string): void {
  const problems = validatePackConfig(data.mcp_authz);
  if (problems.length) throw new AuthzError('data_invalid', `${source}: the guardrails configuration (data.mcp_authz) is invalid`, problems);
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
  if (!cfg.bundle) throw new AuthzError('policy_missing', 'no policy configured (--bundle or --policy)');
  let bytes: Buffer;
  try {
    bytes = await readFile(cfg.bundle);
  } catch (err) {
    throw new AuthzError('bundle_unreadable', `--bundle ${cfg.bundle}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return loadPolicyFromBundleBytes(bytes, cfg, cfg.bundle);
}

/** A bundle tarball or a bare .wasm module (told apart by the WebAssembly magic bytes). */
export async function loadPolicyFromBundleBytes(bytes: Buffer, cfg: Omit<PolicySourceConfig, 'bundle' | 'policyDir'>, source: string, revisionOverride?: string): Promise<Policy> {
  const isWasm = bytes.subarray(0, 4).equals(Buffer.from([0x00, 0x61, 0x73, 0x6d]));
  if (isWasm) {
    const data = await mergeDataFiles({}, cfg.dataFiles);
    checkPackData(data, source);
    return loadWasmPolicy({ wasm: bytes, data, entrypoint: cfg.entrypoint, source, maxMemoryPages: cfg.maxMemoryPages, ...(revisionOverride ? { revision: revisionOverride } : {}) });
  }
  const bundle = await readWasmBundle(bytes, cfg.entrypoint, source);
  const data = await mergeDataFiles(bundle.data, cfg.dataFiles);
  checkPackData(data, source);
  const revision = revisionOverride ?? bundle.manifest.revision;
  return loadWasmPolicy({
    wasm: bundle.wasm,
    data,
    entrypoint: cfg.entrypoint,
    source,
    sha256: bundle.sha256,
    maxMemoryPages: cfg.maxMemoryPages,
    ...(revision ? { revision } : {}),
  });
}
