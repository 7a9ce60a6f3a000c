import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AuthzError, STARTUP_ERROR } from '../shared/errors.js';
import { fsCause } from '../shared/fs-cause.js';
import { readWasmBundle } from './bundle.js';
import { mergeDataFiles } from './data-files.js';
import { buildWasmBundle } from './opa-cli.js';
import type { Policy } from '../rego-wasm/index.js';
import { loadWasmPolicy } from './engine.js';
import { packConfigIssues } from '../pack/pack-config.js';

/**
 * The guardrails pack's data document must validate (startup and every reload): a typo is an error. Each problem is
 * told with the source that wrote it: of the bundle's own data (`source`: the bundle, or the compiled directory) and
 * each `--data` file's document, the one that reaches deepest into the problem's path (a `--data` file on a tie).
 */
function checkPackData(data: Record<string, unknown>, source: string, own: Record<string, unknown>, files: { file: string; value: unknown }[]): void {
  const issues = packConfigIssues(data.mcp_authz);
  if (issues.length === 0) return;
  const sources = [...files.map((f) => ({ name: `--data ${f.file}`, value: f.value })), { name: source, value: own as unknown }];
  const owner = (path: readonly PropertyKey[]): string => {
    let best = { name: source, depth: 0 };
    for (const { name, value } of sources) {
      let node = value;
      let depth = 0;
      for (const k of ['mcp_authz', ...path]) {
        if (typeof node !== 'object' || node === null || !Object.hasOwn(node, String(k))) break;
        node = (node as Record<string, unknown>)[String(k)];
        depth++;
      }
      if (depth > best.depth) best = { name, depth };
    }
    return best.name;
  };
  const owned = issues.map((i) => ({ owner: owner(i.path), text: i.text }));
  const owners = [...new Set(owned.map((o) => o.owner))];
  throw new AuthzError(
    STARTUP_ERROR.data_invalid,
    `${owners.join(', ')}: the guardrails configuration (data.mcp_authz) is invalid`,
    owned.map((o) => (owners.length > 1 ? `${o.owner}: ${o.text}` : o.text)),
  );
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
    const isDir = (err as NodeJS.ErrnoException).code === 'EISDIR';
    throw new AuthzError(
      STARTUP_ERROR.bundle_unreadable,
      isDir
        ? `--bundle ${cfg.bundle}: is a directory; --bundle takes a bundle file (opa build -t wasm … gives bundle.tar.gz, or a policy.wasm): for a directory of .rego files use --policy ${cfg.bundle}`
        : `--bundle ${cfg.bundle}: ${fsCause(err)}`,
    );
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
    const read: { file: string; value: unknown }[] = [];
    const data = await mergeDataFiles({}, cfg.dataFiles, read);
    checkPackData(data, source, {}, read);
    const sha256 = sha(bytes);
    const revision = withData(revisionOverride || `sha256:${sha256.slice(0, 12)}`, data, cfg.dataFiles);
    return loadWasmPolicy({ wasm: bytes, data, entrypoint: cfg.entrypoint, source, sha256, maxMemoryPages: cfg.maxMemoryPages, revision });
  }
  const bundle = await readWasmBundle(bytes, cfg.entrypoint, source);
  const read: { file: string; value: unknown }[] = [];
  const data = await mergeDataFiles(bundle.data, cfg.dataFiles, read);
  checkPackData(data, source, bundle.data, read);
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
