import type { Config } from '../config/schema.js';
import type { GrpcServerOptions } from './server.js';

/**
 * Config `grpc.*` (seconds) → the gRPC transport's connection limits (ms). Zero turns a limit off: no pings, no
 * idle or age limit, no concurrent-stream limit beyond nghttp2's. Keepalive pings find connections whose peer went
 * silent (a dead Envoy, a half-open TCP connection); the idle limit closes connections that carry no call.
 */
export function connectionOptions(g: Config['grpc']): NonNullable<GrpcServerOptions['connection']> {
  const ms = (s: number): number => Math.round(s * 1000);
  return {
    keepaliveTimeMs: ms(g.keepalive_time_seconds),
    keepaliveTimeoutMs: ms(g.keepalive_timeout_seconds),
    maxIdleMs: ms(g.max_connection_idle_seconds),
    maxAgeMs: ms(g.max_connection_age_seconds),
    maxAgeGraceMs: ms(g.max_connection_age_grace_seconds),
    maxConcurrentStreams: g.max_concurrent_streams,
  };
}
