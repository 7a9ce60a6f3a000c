import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { GrpcServer } from '../../envoy/server.js';

/**
 * Stop answering checks (`shutdown`): NOT_SERVING while still answering (health checkers such as Envoy stop sending
 * before the port closes) for the drain delay, then the gRPC shutdown within the grace period. Resolves true when
 * every call in flight finished in time. A primary's workers each do this (src/server/worker-pool.ts stop).
 */
export async function drainChecks(grpc: GrpcServer, shutdown: Config['shutdown'], logger: Logger): Promise<boolean> {
  grpc.drain();
  if (shutdown.drain_delay_seconds > 0) {
    logger.info({ drain_delay_seconds: shutdown.drain_delay_seconds, in_flight: grpc.inFlight() }, 'draining: NOT_SERVING, still answering');
    await new Promise((r) => setTimeout(r, shutdown.drain_delay_seconds * 1000));
  }
  return grpc.shutdown(shutdown.grace_seconds * 1000);
}
