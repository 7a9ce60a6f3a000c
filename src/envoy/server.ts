import type { DescriptorSet } from './descriptor-set.js';
import { addHealth } from './health.js';
import { addLazyReflection } from './reflection.js';
import { type CheckHandler, checkBytesHandler } from './authorization.js';
import { GrpcTransport, type TransportOptions } from './grpc-transport.js';

export const AUTHORIZATION_SERVICE = 'envoy.service.auth.v3.Authorization';
const CHECK_PATH = `/${AUTHORIZATION_SERVICE}/Check`;

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
   * Report NOT_SERVING, end health Watch streams, stop accepting new calls (GOAWAY), wait for in-flight ones up
   * to `graceMs`, then force-close; checks whose client has gone are waited for within the same `graceMs`.
   * Resolves true when everything drained in time.
   */
  shutdown(graceMs: number): Promise<boolean>;
}

export interface GrpcServerOptions {
  address: string;
  descriptors: Pick<DescriptorSet, 'files'>;
  check: CheckHandler;
  /** Largest CheckRequest accepted, bytes (Envoy's max_request_bytes plus headers; default 4 MiB). */
  maxReceiveBytes?: number;
  /** Largest CheckResponse sent, bytes (default 4 MiB). */
  maxSendBytes?: number;
  /** HTTP/2 connection limits: keepalive pings, idle and age limits, concurrent streams (connectionOptions). */
  connection?: Partial<Omit<TransportOptions, 'maxReceiveBytes' | 'maxSendBytes'>>;
}

/** Split `host:port` (IPv6 in brackets) for net.Server#listen. */
function hostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host: host || '0.0.0.0', port: Number(address.slice(i + 1)) };
}

/** Bind the gRPC server on node:http2: ext_authz Check, grpc.health.v1 and server reflection on one port. */
export async function startGrpcServer(opts: GrpcServerOptions): Promise<GrpcServer> {
  const transport = new GrpcTransport({
    maxReceiveBytes: opts.maxReceiveBytes ?? 4 * 1024 * 1024,
    maxSendBytes: opts.maxSendBytes ?? 4 * 1024 * 1024,
    keepaliveTimeMs: 0,
    keepaliveTimeoutMs: 20_000,
    maxIdleMs: 0,
    maxAgeMs: 0,
    maxAgeGraceMs: 0,
    maxConcurrentStreams: 0,
    ...opts.connection,
  });
  let inFlight = 0;
  /** Resolved when no check is being answered (shutdown waits for checks whose client has gone, too). */
  let idle: (() => void)[] = [];
  transport.addRawUnary(
    CHECK_PATH,
    checkBytesHandler(opts.check, (d) => {
      inFlight += d;
      if (inFlight === 0 && idle.length > 0) {
        for (const r of idle) r();
        idle = [];
      }
    }),
  );
  /** True once no check is in flight, false when `ms` passed first. */
  const checksDone = (ms: number): Promise<boolean> =>
    inFlight === 0
      ? Promise.resolve(true)
      : new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), Math.max(0, ms));
          idle.push(() => {
            clearTimeout(timer);
            resolve(true);
          });
        });
  const health = addHealth(transport, [AUTHORIZATION_SERVICE]);
  addLazyReflection(transport, opts.descriptors.files);

  const { host, port } = hostPort(opts.address);
  const bound = await transport.listen(host, port);

  let draining = false;
  return {
    port: bound,
    setServing: (serving) => health.setStatus(serving && !draining ? 'SERVING' : 'NOT_SERVING'),
    inFlight: () => inFlight,
    drain: () => {
      draining = true;
      health.setStatus('NOT_SERVING');
    },
    shutdown: async (graceMs) => {
      draining = true;
      health.setStatus('NOT_SERVING');
      health.endWatches();
      const until = Date.now() + graceMs;
      const closed = await transport.shutdown(graceMs);
      // A check whose client has gone (deadline, reset, closed connection) holds no stream the transport waits
      // for, but is still being decided: it finishes (and is logged) before the evaluator and the log close.
      const finished = await checksDone(until - Date.now());
      return closed && finished;
    },
  };
}
