import type { Config } from '../config/schema.js';
import { defaultBundlePath } from '../shared/package-root.js';
import { loadPolicyFromBundleBytes, loadPolicyFromFiles } from './load.js';
import type { Policy } from '../rego-wasm/index.js';

export interface PolicySource {
  kind: 'bundle' | 'dir' | 'remote';
  /** Paths to watch for hot reload (bundle file or policy dir, plus data files). */
  watchPaths: string[];
  /** Build a fresh policy from the source. Remote: from the last downloaded bundle. */
  load(): Promise<Policy>;
  /** Remote only: build from newly downloaded bytes and remember them for later reloads. */
  fromRemote?(bytes: Buffer, url: string): Promise<Policy>;
}

/** The configured policy source; the embedded default bundle when none is configured. */
export function policySource(cfg: Config): PolicySource {
  const common = { dataFiles: cfg.policy.data, entrypoint: cfg.policy.entrypoint, maxMemoryPages: cfg.policy.max_memory_pages };
  if (cfg.policy.bundle_url) {
    let last: { bytes: Buffer; url: string } | undefined;
    return {
      kind: 'remote',
      watchPaths: [...cfg.policy.data],
      load: async () => {
        if (!last) throw new Error('no remote bundle downloaded yet');
        return loadPolicyFromBundleBytes(last.bytes, common, last.url);
      },
      fromRemote: async (bytes, url) => {
        const policy = await loadPolicyFromBundleBytes(bytes, common, url);
        last = { bytes, url };
        return policy;
      },
    };
  }
  if (cfg.policy.dir) {
    const dir = cfg.policy.dir;
    return { kind: 'dir', watchPaths: [dir, ...cfg.policy.data], load: () => loadPolicyFromFiles({ policyDir: dir, ...common }) };
  }
  const bundle = cfg.policy.bundle ?? defaultBundlePath();
  return { kind: 'bundle', watchPaths: [bundle, ...cfg.policy.data], load: () => loadPolicyFromFiles({ bundle, ...common }) };
}
