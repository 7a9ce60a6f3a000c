import type { Config } from '../config/schema.js';
import type { GrpcServerOptions } from './server.js';

/**
 * Config `grpc.*` (seconds) → grpc-js server options (ms). Zero turns a limit off (the option is left out, so
 * grpc-js keeps its default: no pings, no idle or age limit). Keepalive pings find connections whose peer went
 * silent (a dead Envoy, a half-open TCP connection); the idle limit closes connections that carry no call.
 */
export function connectionOptions(g: Config['grpc']): NonNullable<GrpcServerOptions['connection']> {
  const ms = (s: number): number => Math.round(s * 1000);
  return {
    ...(g.keepalive_time_seconds > 0
      ? { 'grpc.keepalive_time_ms': ms(g.keepalive_time_seconds), 'grpc.keepalive_timeout_ms': ms(g.keepalive_timeout_seconds) }
      : {}),
    ...(g.max_connection_idle_seconds > 0 ? { 'grpc.max_connection_idle_ms': ms(g.max_connection_idle_seconds) } : {}),
    ...(g.max_connection_age_seconds > 0
      ? { 'grpc.max_connection_age_ms': ms(g.max_connection_age_seconds), 'grpc.max_connection_age_grace_ms': ms(g.max_connection_age_grace_seconds) }
      : {}),
  };
}
