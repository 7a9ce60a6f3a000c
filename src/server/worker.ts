import cluster from 'node:cluster';
import { startServer, type WorkerServer } from './app.js';
import { AuthzError } from '../shared/errors.js';
import { isMessage, type FromWorker, type ToWorker } from './protocol.js';
import { shadowFromSpec } from './cluster-shadow.js';

/**
 * A cluster worker: serves gRPC (the shared port) with its own check pipeline, decision cache, metrics registry and
 * decision log, from the revisions the primary hands it. It loads nothing itself, and runs no HTTP listener,
 * watcher, poller or signal-driven reload: the primary owns those. Messages are handled one at a time, in order.
 */
export function runWorker(): void {
  const send = (m: FromWorker): void => {
    if (process.connected) process.send!(m);
  };
  let app: WorkerServer | undefined;
  let stopping: Promise<void> | undefined;

  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      const drained = app ? await app.close() : true;
      if (process.connected)
        await new Promise<void>((resolve) => process.send!({ type: 'mcp-authz:stopped', drained } satisfies FromWorker, () => resolve()));
      process.exit(0);
    })());

  const handle = async (m: ToWorker): Promise<void> => {
    switch (m.type) {
      case 'mcp-authz:init': {
        const origins = m.origins;
        try {
          app = await startServer('worker', m.config, {
            fromPrimary: { active: m.active, shadow: m.shadow, decisions: (decision) => send({ type: 'mcp-authz:decision', decision }) },
            origin: (key) => origins[key] ?? key,
          });
        } catch (err) {
          const e = err as Error;
          const authz = e instanceof AuthzError;
          await new Promise<void>((resolve) =>
            process.send!(
              {
                type: 'mcp-authz:failed',
                code: authz ? e.code : 'worker_start_failed',
                message: authz ? e.message.split('\n')[0]! : e.message,
                details: authz ? e.details : [],
                authz,
              } satisfies FromWorker,
              () => resolve(),
            ),
          );
          process.exit(2);
        }
        send({ type: 'mcp-authz:ready', grpcPort: app.grpc.port });
        return;
      }
      case 'mcp-authz:sync':
        try {
          await app!.revisions.sync(m.active);
          send({ type: 'mcp-authz:synced', ok: true });
        } catch (err) {
          app!.logger.error(
            { err: (err as Error).message, serving: app?.policy()?.revision ?? null },
            'policy sync failed; keeping the last good policy',
          );
          send({ type: 'mcp-authz:synced', ok: false, error: (err as Error).message });
        }
        return;
      case 'mcp-authz:prepare':
        try {
          await app!.revisions.prepare(m.key, m.artifact);
          send({ type: 'mcp-authz:prepared', key: m.key, ok: true });
        } catch (err) {
          app!.logger.error(
            { err: (err as Error).message, serving: app?.policy()?.revision ?? null },
            'policy prepare failed; keeping the last good policy',
          );
          send({ type: 'mcp-authz:prepared', key: m.key, ok: false, error: (err as Error).message });
        }
        return;
      case 'mcp-authz:shadow':
        try {
          await shadowFromSpec(app!.shadow, m.candidate);
          send({ type: 'mcp-authz:shadowed', id: m.id, ok: true });
        } catch (err) {
          send({ type: 'mcp-authz:shadowed', id: m.id, ok: false, error: (err as Error).message });
        }
        return;
      case 'mcp-authz:abort':
        app?.revisions.abort(m.key);
        return;
      case 'mcp-authz:commit':
        try {
          app!.revisions.commit(m.key);
          send({ type: 'mcp-authz:committed', key: m.key, ok: true });
        } catch (err) {
          send({ type: 'mcp-authz:committed', key: m.key, ok: false, error: (err as Error).message });
        }
        return;
      default:
        return;
    }
  };

  // One message at a time, in arrival order: a commit never overtakes the prepare before it.
  let queue: Promise<void> = Promise.resolve();
  process.on('message', (m: unknown) => {
    if (!isMessage<ToWorker>(m)) return;
    // Scrapes and shutdown do not wait behind a policy being instantiated.
    if (m.type === 'mcp-authz:shutdown') return void stop();
    if (m.type === 'mcp-authz:metrics') {
      void (app ? app.metrics.registry.getMetricsAsJSON() : Promise.resolve([])).then((metrics) =>
        send({ type: 'mcp-authz:metrics', id: m.id, metrics }),
      );
      return;
    }
    if (m.type === 'mcp-authz:shadow-report') {
      if (app) send({ type: 'mcp-authz:shadow-report', id: m.id, report: app.shadow.report(m.limit) });
      return;
    }
    // The worker role's log (src/server/app.ts builds it); before that role started there is none: one line on stderr.
    const failed = (err: Error): void =>
      void (app ? app.logger.error({ err: err.message }, 'worker message failed') : process.stderr.write(`mcp-authz worker: ${err.message}\n`));
    queue = queue.then(() => handle(m)).catch(failed);
  });
  // Drain on a signal sent to the whole process group (Ctrl-C), or when the primary is gone.
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  // node:cluster exits a worker at once when its channel closes unasked (the primary died), dropping the calls it is
  // answering, unless the disconnect was expected: it is, here, and the worker drains as on SIGTERM instead.
  const self = cluster.worker;
  self?.once('disconnect', () => {
    self.exitedAfterDisconnect = true;
    if (!stopping) app?.logger.warn({ in_flight: app.grpc?.inFlight() ?? 0 }, 'the primary is gone; draining');
    void stop();
  });
  process.on('disconnect', () => void stop());
  // Reloads are the primary's: a SIGHUP sent to the whole process group must not kill a worker (its default action).
  process.on('SIGHUP', () => undefined);
}
