import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { GrpcCall, MethodImplementation } from './grpc-call.js';
import type { GrpcTransport } from './grpc-transport.js';

export interface Health {
  /** Set the status of '' and of each named service. */
  setStatus(status: ServingStatus): void;
  /** End every open Watch stream (shutdown): a stream left open would hold the server's drain for the grace. */
  endWatches(): void;
}

/**
 * grpc.health.v1 (grpc-health-check's implementation) for '' and `services`, starting NOT_SERVING, with the open
 * Watch streams tracked so shutdown can end them after sending the last status.
 */
export function addHealth(server: Pick<GrpcTransport, 'addService'>, services: readonly string[]): Health {
  const names = ['', ...services];
  const health = new HealthImplementation(Object.fromEntries(names.map((s) => [s, 'NOT_SERVING' as ServingStatus])));
  let current: ServingStatus = 'NOT_SERVING';
  const watches = new Set<GrpcCall>();
  const tracking = {
    addService(service: Parameters<GrpcTransport['addService']>[0], impl: Record<string, MethodImplementation>) {
      const watch = impl.watch as (call: GrpcCall) => void;
      server.addService(service, {
        ...impl,
        watch(call: GrpcCall) {
          watches.add(call);
          const forget = (): void => void watches.delete(call);
          call.on('cancelled', forget);
          call.on('finish', forget);
          watch(call);
        },
      });
    },
  };
  health.addToServer(tracking as unknown as Parameters<HealthImplementation['addToServer']>[0]);
  return {
    setStatus: (status) => {
      // Watchers are told of changes only (grpc-health-check writes on every call).
      if (status === current) return;
      current = status;
      for (const s of names) health.setStatus(s, status);
    },
    endWatches: () => {
      for (const call of watches) call.end();
      watches.clear();
    },
  };
}
