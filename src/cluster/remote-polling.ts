import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../observability/metrics.js';
import { createBundlePoller, type BundlePoller } from '../policy/bundle-poller.js';
import type { PolicySource } from '../policy/policy-source.js';
import type { PolicyStore } from '../policy/policy-store.js';
import type { ClusterPolicy } from './cluster-policy.js';

/**
 * Remote bundle polling in a cluster primary: the bundle is downloaded once, prepared on every worker, then
 * activated (committed everywhere). A failure anywhere keeps every worker on the last good revision.
 */
export function startRemotePolling(cfg: Config, source: PolicySource, policy: ClusterPolicy, store: PolicyStore, metrics: Metrics, logger: Logger): BundlePoller | undefined {
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
      await policy.prepare(p);
      store.activate(p);
      metrics.recordReload(true);
      logger.info({ reason: 'remote bundle', revision: p.revision, etag: info.etag ?? null, sha256: p.sha256 }, 'policy loaded');
    },
    onError: (err, info) => {
      metrics.recordReload(false);
      logger.error({ err: err.message, phase: info.phase, consecutive_failures: info.consecutiveFailures, next_delay_ms: info.nextDelayMs, serving: store.current()?.revision ?? null }, 'remote bundle update failed');
    },
  });
  poller.start();
  return poller;
}
