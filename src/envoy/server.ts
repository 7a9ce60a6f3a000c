import * as grpc from '@grpc/grpc-js';
import type { Descriptors } from './descriptors.js';
import { addHealth } from './health.js';
import { addReflection } from './reflection.js';
import { authorizationService, type CheckHandler } from './authorization.js';

export const AUTHORIZATION_SERVICE = 'envoy.service.auth.v3.Authorization';

export interface GrpcServer {
  /** The bound port (useful with :0). */
  port: number;
  /** Report SERVING for '' and the Authorization service only while a policy is loaded. */
  setServing(serving: boolean): void;
  /** Checks currently being answered. */
  inFlight(): number;
  /** Report NOT_SERVING from now on, whatever setServing says later (shutdown; checks are still answered). */
  drain(): void;
  /**
   * Report NOT_SERVING, end health Watch streams, stop accepting new calls, wait for in-flight ones up to
   * `graceMs`, then force-close. Resolves true when everything drained in time.
   */
  shutdown(graceMs: number): Promise<boolean>;
}

export interface GrpcServerOptions {
  address: string;
  descriptors: Descriptors;
  check: CheckHandler;
  /** Largest CheckRequest accepted, bytes (Envoy's max_request_bytes plus headers; default 4 MiB). */
  maxReceiveBytes?: number;
  /** HTTP/2 connection options: keepalive pings and idle/age limits (see connectionOptions in app.ts). */
  connection?: Partial<
    Record<
      | 'grpc.keepalive_time_ms'
      | 'grpc.keepalive_timeout_ms'
      | 'grpc.max_connection_idle_ms'
      | 'grpc.max_connection_age_ms'
      | 'grpc.max_connection_age_grace_ms',
      number
    >
  >;
}

/** Bind the gRPC server: ext_authz, grpc.health.v1 and server reflection. */
export async function startGrpcServer(opts: GrpcServerOptions): Promise<GrpcServer> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': opts.maxReceiveBytes ?? 4 * 1024 * 1024,
    'grpc.keepalive_permit_without_calls': 1,
    ...opts.connection,
  });
  const definition = opts.descriptors.packageDefinition[AUTHORIZATION_SERVICE] as grpc.ServiceDefinition;
  let inFlight = 0;
  server.addService(
    definition,
    authorizationService(opts.check, (d) => (inFlight += d)),
  );

  const health = addHealth(server, [AUTHORIZATION_SERVICE]);
  addReflection(server, opts.descriptors.setBytes);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(opts.address, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });

  let draining = false;
  return {
    port,
    setServing: (serving) => health.setStatus(serving && !draining ? 'SERVING' : 'NOT_SERVING'),
    inFlight: () => inFlight,
    drain: () => {
      draining = true;
      health.setStatus('NOT_SERVING');
    },
    shutdown: (graceMs) =>
      new Promise<boolean>((resolve) => {
        draining = true;
        health.setStatus('NOT_SERVING');
        health.endWatches();
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve(false);
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve(true);
        });
      }),
  };
}
