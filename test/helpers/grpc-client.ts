import * as grpc from '@grpc/grpc-js';
import { loadDescriptors } from '../../src/envoy/descriptors.js';

export interface CheckClient {
  check(request: unknown): Promise<any>;
  health(service?: string): Promise<string>;
  close(): void;
}

/** A real gRPC client built from the same descriptor set the server serves. */
export function checkClient(address: string): CheckClient {
  const { packageDefinition } = loadDescriptors();
  const pkg = grpc.loadPackageDefinition(packageDefinition) as any;
  const authz = new pkg.envoy.service.auth.v3.Authorization(address, grpc.credentials.createInsecure());
  const health = new pkg.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
  return {
    check: (request) =>
      new Promise((resolve, reject) => authz.Check(request, (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res)))),
    health: (service = '') =>
      new Promise((resolve, reject) =>
        health.Check({ service }, (err: Error | null, res: { status: string }) => (err ? reject(err) : resolve(res.status))),
      ),
    close: () => {
      authz.close();
      health.close();
    },
  };
}

const statusNumbers = new Map<string, number>(
  ((loadDescriptors().packageDefinition['envoy.type.v3.StatusCode'] as any).type.value as { name: string; number: number }[]).map((v) => [
    v.name,
    v.number,
  ]),
);

/** The numeric HTTP status of a decoded envoy.type.v3.HttpStatus (the client decodes enums as names). */
export function httpStatus(status: { code: string | number } | undefined): number | undefined {
  if (!status) return undefined;
  return typeof status.code === 'number' ? status.code : statusNumbers.get(status.code);
}
