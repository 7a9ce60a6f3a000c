import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadPolicyFromFiles, type PolicySourceConfig } from '../policy/load.js';
import type { PolicyStore } from '../policy/policy-store.js';
import type { Policy } from '../rego-wasm/index.js';
import { AuthzError, STARTUP_ERROR } from '../shared/errors.js';

/** Where a candidate comes from: a policy directory or bundle file on the server's machine, or a remembered revision. */
export type CandidateSpec = { path: string } | { revision: string };

/**
 * Builds a candidate as the server builds its active policy (same entrypoint, `--data` files and memory bound), beside
 * it: a directory is compiled with `opa build` (its errors are opa's `file:line: message`), a file is read as a
 * bundle or a bare module, a revision is instantiated from the store's kept bytes (undefined when none matches). Throws AuthzError; nothing here
 * touches the active revision.
 */
export function candidateLoader(
  common: Omit<PolicySourceConfig, 'bundle' | 'policyDir'>,
  store: PolicyStore,
): (spec: CandidateSpec) => Promise<{ policy: Policy; from: string } | undefined> {
  return async (spec) => {
    if ('revision' in spec) {
      const policy = await store.instance(spec.revision);
      return policy ? { policy, from: `revision ${spec.revision}` } : undefined;
    }
    const path = resolve(spec.path);
    let isDir: boolean;
    try {
      isDir = (await stat(path)).isDirectory();
    } catch (err) {
      throw new AuthzError(STARTUP_ERROR.bundle_unreadable, `${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const policy = await loadPolicyFromFiles({ ...(isDir ? { policyDir: path } : { bundle: path }), ...common });
    return { policy, from: path };
  };
}
