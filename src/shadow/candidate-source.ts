import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type BundleFetchOptions, BundlePollError, fetchBundleOnce } from '../policy/bundle-poller.js';
import { loadPolicyFromBundleBytes, loadPolicyFromFiles, type PolicySourceConfig } from '../policy/load.js';
import type { PolicyStore } from '../policy/policy-store.js';
import type { Policy } from '../rego-wasm/index.js';
import { AuthzError, STARTUP_ERROR } from '../shared/errors.js';

/**
 * Where a candidate comes from: a policy directory or bundle file on the server's machine, an `opa build` bundle at
 * an http(s) URL, or a remembered revision.
 */
export type CandidateSpec = { path: string } | { url: string } | { revision: string };

/**
 * How a bundle URL is downloaded: as the server downloads `policy.bundle_url` (its `policy.bundle_poll` timeout and
 * size bound). The bearer token is sent only to `tokenOrigin` (the origin of `policy.bundle_url`), never to another
 * host an admin names.
 */
export interface CandidateFetch extends Omit<BundleFetchOptions, 'url'> {
  tokenOrigin?: string;
}

/**
 * Builds a candidate as the server builds its active policy (same entrypoint, `--data` files and memory bound),
 * beside it: a directory is compiled with `opa build` (its errors are opa's `file:line: message`), a file is read as
 * a bundle or a bare module, a URL is downloaded as the remote bundle poller downloads one and read as a bundle, a
 * revision is instantiated from the store's kept bytes (undefined when none matches). Throws AuthzError; nothing
 * here touches the active revision.
 */
export function candidateLoader(
  common: Omit<PolicySourceConfig, 'bundle' | 'policyDir'>,
  store: PolicyStore,
  remote: CandidateFetch = { timeoutMs: 10_000, maxBytes: 64 * 1024 * 1024 },
): (spec: CandidateSpec) => Promise<{ policy: Policy; from: string } | undefined> {
  return async (spec) => {
    if ('revision' in spec) {
      const policy = await store.instance(spec.revision);
      return policy ? { policy, from: `revision ${spec.revision}` } : undefined;
    }
    if ('url' in spec) {
      const { bytes, url } = await download(spec.url, remote);
      return { policy: await loadPolicyFromBundleBytes(bytes, common, url), from: url };
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

async function download(url: string, remote: CandidateFetch): Promise<{ bytes: Buffer; url: string }> {
  const { tokenOrigin, bearerToken, bearerTokenFile, ...rest } = remote;
  let sameOrigin = false;
  try {
    sameOrigin = tokenOrigin !== undefined && new URL(url).origin === tokenOrigin;
  } catch {
    // not a URL: the poller's check below says so
  }
  const token = sameOrigin ? { ...(bearerToken ? { bearerToken } : {}), ...(bearerTokenFile ? { bearerTokenFile } : {}) } : {};
  try {
    return await fetchBundleOnce({ ...rest, ...token, url });
  } catch (err) {
    if (err instanceof BundlePollError) throw new AuthzError(STARTUP_ERROR.bundle_download_failed, `${err.message} (${err.code})`);
    if (err instanceof RangeError) throw new AuthzError(STARTUP_ERROR.bundle_download_failed, err.message.replace(/^bundle poller: /, ''));
    throw err;
  }
}
