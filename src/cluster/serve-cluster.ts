import { availableParallelism } from 'node:os';
import type { Config } from '../config/schema.js';
import { AuthzError } from '../errors.js';
import { type Primary, startPrimary } from './primary.js';

/** Worker processes to run: `workers`, else the CPUs this process may use (respects cgroup CPU limits). */
export function workerCount(cfg: Config): number {
  return cfg.workers ?? availableParallelism();
}

/** `mcp-authz serve` with more than one worker: start the primary and its workers, serve until SIGTERM/SIGINT. */
export async function serveCluster(config: Config, workers: number, origin?: (key: string) => string): Promise<number> {
  let primary: Primary;
  try {
    primary = await startPrimary(config, { workers, ...(origin ? { origin } : {}) });
  } catch (err) {
    if (err instanceof AuthzError) {
      process.stderr.write(`mcp-authz: cannot start [${err.code}]: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      primary.logger.info({ signal, workers }, 'shutting down');
      void primary.close().then((drained) => {
        primary.logger.info({ drained }, 'stopped');
        resolve(0);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
