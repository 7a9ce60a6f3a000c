import { createRequire } from 'node:module';
import type { ReflectionService } from '@grpc/reflection';
import type { GrpcTransport } from './grpc-transport.js';

/** The methods reflection serves (v1 and v1alpha), known before @grpc/reflection is loaded. */
export const REFLECTION_PATHS = [
  '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
  '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo',
] as const;

/**
 * Server reflection (v1 and v1alpha) over the real FileDescriptorProtos from the generated descriptor set.
 * Feeding @grpc/reflection proto-loader's re-derived descriptors instead breaks grpcurl (unresolvable relative
 * type names such as google.protobuf.Struct; grpc-node #2595, #3018).
 */
export function addReflection(server: Pick<GrpcTransport, 'addService'>, fileDescriptorProtos: Buffer[]): void {
  const { ReflectionService: Reflection } = createRequire(import.meta.url)('@grpc/reflection') as { ReflectionService: typeof ReflectionService };
  // ReflectionService indexes files and discovers services from them; the key is arbitrary.
  const reflection = new Reflection({ 'mcp-authz.descriptors': { fileDescriptorProtos } } as never);
  reflection.addToServer(server as unknown as Parameters<ReflectionService['addToServer']>[0]);
}

/**
 * Reflection installed on its first call: @grpc/reflection (with protobufjs and grpc-js, about 25 MB of RSS) is
 * loaded when a client such as `grpcurl list` first asks, not at startup.
 */
export function addLazyReflection(server: Pick<GrpcTransport, 'addService' | 'addLazyService'>, fileDescriptorProtos: Buffer[]): void {
  server.addLazyService(REFLECTION_PATHS, () => addReflection(server, fileDescriptorProtos));
}
