import cluster from 'node:cluster';
import type { DestinationStream, Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import { createAppLogger } from '../../observability/app-logger.js';
import { logDestination } from '../../observability/log-destination.js';
import type { Role } from '../roles.js';

/**
 * The application log of every role (`observability.log_level`, `log_format`), unless the caller brings one. A
 * worker's lines carry `"worker": <id>`. `destination` is the stream the decision log shares with it (text format).
 */
export function buildLogger(role: Role, cfg: Config, given?: Logger): { logger: Logger; destination?: DestinationStream } {
  const destination = logDestination(cfg.observability.log_format);
  const logger =
    given ??
    createAppLogger({
      ...(role === 'worker' ? { base: { service: 'mcp-authz', worker: cluster.worker?.id } } : {}),
      level: cfg.observability.log_level,
      ...(destination ? { destination } : {}),
    });
  return { logger, ...(destination ? { destination } : {}) };
}
