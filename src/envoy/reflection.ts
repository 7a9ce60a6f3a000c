import { createRequire } from 'node:module';
import type { ReflectionService } from '@grpc/reflection';
import type { GrpcTransport } from './grpc-transport.js';

/** The methods reflection serves (v1 and v1alpha), known before @grpc/reflection is loaded. */
export const REFLECTION_PATHS = [
  '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
  '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo',
] as const;

/**
 * Split a FileDescriptorSet (field 1: repeated bytes `file`) into its FileDescriptorProto buffers.
 * Only the outer wire framing is read; each file's bytes are kept exactly as the compiler wrote them.
 */
export function splitDescriptorSet(set: Uint8Array): Buffer[] {
  const files: Buffer[] = [];
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= set.length) throw new Error('truncated descriptor set');
      const byte = set[pos++]!;
      result += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return result;
      shift += 7;
    }
  };
  while (pos < set.length) {
    const tag = varint();
    if (tag !== 0x0a) throw new Error(`unexpected field tag ${tag} in descriptor set`);
    const len = varint();
    if (pos + len > set.length) throw new Error('truncated descriptor set');
    files.push(Buffer.from(set.subarray(pos, pos + len)));
    pos += len;
  }
  return files;
}

/**
 * Server reflection (v1 and v1alpha) over the real FileDescriptorProtos from the generated descriptor set.
 * Feeding @grpc/reflection proto-loader's re-derived descriptors instead breaks grpcurl (unresolvable relative
 * type names such as google.protobuf.Struct; grpc-node #2595, #3018).
 */
export function addReflection(server: Pick<GrpcTransport, 'addService'>, descriptorSet: Uint8Array): void {
  const fileDescriptorProtos = splitDescriptorSet(descriptorSet);
  const { ReflectionService: Reflection } = createRequire(import.meta.url)('@grpc/reflection') as { ReflectionService: typeof ReflectionService };
  // ReflectionService indexes files and discovers services from them; the key is arbitrary.
  const reflection = new Reflection({ 'mcp-authz.descriptors': { fileDescriptorProtos } } as never);
  reflection.addToServer(server as unknown as Parameters<ReflectionService['addToServer']>[0]);
}

/**
 * Reflection installed on its first call: @grpc/reflection (with protobufjs and grpc-js, about 25 MB of RSS) is
 * loaded when a client such as `grpcurl list` first asks, not at startup.
 */
export function addLazyReflection(server: Pick<GrpcTransport, 'addService' | 'addLazyService'>, descriptorSet: Uint8Array): void {
  server.addLazyService(REFLECTION_PATHS, () => addReflection(server, descriptorSet));
}
