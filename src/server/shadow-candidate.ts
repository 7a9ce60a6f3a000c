import type { Config } from '../config/schema.js';
import type { PolicyStore } from '../policy/policy-store.js';
import { candidateLoader } from '../shadow/candidate-source.js';

/**
 * The shadow candidate's loader as the server builds its active policy: the same entrypoint, data files and memory
 * bound, and a bundle URL downloaded with `policy.bundle_poll`'s timeout and size bound (its bearer token only for
 * `policy.bundle_url`'s origin).
 */
export function shadowCandidateLoader(cfg: Config, store: PolicyStore) {
  const poll = cfg.policy.bundle_poll;
  return candidateLoader({ dataFiles: cfg.policy.data, entrypoint: cfg.policy.entrypoint, maxMemoryPages: cfg.policy.max_memory_pages }, store, {
    timeoutMs: Math.round(poll.timeout_seconds * 1000),
    maxBytes: poll.max_bytes,
    ...(poll.bearer_token ? { bearerToken: poll.bearer_token } : {}),
    ...(poll.bearer_token_file ? { bearerTokenFile: poll.bearer_token_file } : {}),
    ...(cfg.policy.bundle_url ? { tokenOrigin: new URL(cfg.policy.bundle_url).origin } : {}),
  });
}
