import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { createBundlePoller, type BundlePoller } from './bundle-poller.js';
import type { Policy } from '../rego-wasm/index.js';
import type { PolicySource } from './policy-source.js';
import type { PolicyStore } from './policy-store.js';
import type { PolicyReloader } from './reloader.js';

/** What policy updates report: the server's metrics implement it (the policy layer knows no metrics library). */
export interface ReloadCounters {
  recordReload(ok: boolean): void;
  recordPolicyUnchanged(): void;
}

/** How the served policy changes after startup; `stop` ends it all (at shutdown). */
export interface PolicyUpdates {
  /** The remote bundle poller, when the source is `policy.bundle_url`. */
  poller?: BundlePoller;
  stop(): void;
}

/**
 * Policy updates after startup, for one process and for a cluster primary alike: remote bundle polling (see
 * startRemotePolling), SIGHUP (poll now for a remote source, else reload), and the file watch (`policy.watch`).
 */
export function startPolicyUpdates(
  cfg: Config,
  source: PolicySource,
  store: PolicyStore,
  reloader: PolicyReloader,
  metrics: ReloadCounters,
  logger: Logger,
  prepare?: (policy: Policy) => Promise<void>,
): PolicyUpdates {
  const poller = startRemotePolling(cfg, source, store, metrics, logger, prepare);
  const onHup = (): void => void (poller ? poller.pollNow() : reloader.reload('SIGHUP'));
  process.on('SIGHUP', onHup);
  if (cfg.policy.watch) reloader.watch(source.watchPaths, cfg.policy.watch_debounce_ms);
  return {
    ...(poller ? { poller } : {}),
    stop() {
      process.off('SIGHUP', onHup);
      poller?.stop();
      reloader.close();
    },
  };
}

/**
 * Remote bundle polling (`policy.bundle_url`): each new bundle is
 * loaded, handed to `prepare` (a cluster primary prepares it on every worker; a failure anywhere keeps the last
 * good revision everywhere), then activated. Returns undefined when the source is not remote.
 */
function startRemotePolling(
  cfg: Config,
  source: PolicySource,
  store: PolicyStore,
  metrics: ReloadCounters,
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
    // An unchanged bundle is a healthy source (mcp_authz_policy_seconds_since_last_success stays low).
    onPoll: (outcome) => {
      if (outcome === 'not_modified') metrics.recordPolicyUnchanged();
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
