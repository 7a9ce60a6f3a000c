import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../observability/metrics.js';
import { createBundlePoller, type BundlePoller } from './bundle-poller.js';
import type { Policy } from './opa-wasm.js';
import type { PolicySource } from './policy-source.js';
import type { PolicyStore } from './policy-store.js';

/**
 * Remote bundle polling (`policy.bundle_url`), for one process and for a cluster primary alike: each new bundle is
 * loaded, handed to `prepare` (a cluster primary prepares it on every worker; a failure anywhere keeps the last
 * good revision everywhere), then activated. Returns undefined when the source is not remote.
 */
export function startRemotePolling(
  cfg: Config,
  source: PolicySource,
  store: PolicyStore,
  metrics: Metrics,
  logger: Logger,
  prepare: (policy: Policy) => Promise<void> = async () => undefined,
): BundlePoller | undefined {
  const poll = cfg.policy.bundle_poll;
  const fromRemote = source.fromRemote;
  if (!cfg.policy.bundle_url || !fromRemote) return undefined;
  const poller = createBundlePoller({
    url: cfg.policy.bundle_url,
    minDelaySeconds: poll.min_delay_seconds,
    maxDelaySeconds: poll.max_delay_seconds,
    timeoutMs: Math.round(poll.timeout_seconds * 1000),
    maxBytes: poll.max_bytes,
    ...(poll.bearer_token ? { bearerToken: poll.bearer_token } : {}),
    ...(poll.bearer_token_file ? { bearerTokenFile: poll.bearer_token_file } : {}),
    onBundle: async (bytes, info) => {
      const p = await fromRemote(bytes, info.url);
      await prepare(p);
      store.activate(p);
      metrics.recordReload(true);
      logger.info({ reason: 'remote bundle', revision: p.revision, etag: info.etag ?? null, sha256: p.sha256 }, 'policy loaded');
    },
    onError: (err, info) => {
      metrics.recordReload(false);
      logger.error(
        {
          err: err.message,
          phase: info.phase,
          consecutive_failures: info.consecutiveFailures,
          next_delay_ms: info.nextDelayMs,
          serving: store.current()?.revision ?? null,
        },
        'remote bundle update failed',
      );
    },
  });
  poller.start();
  return poller;
}
