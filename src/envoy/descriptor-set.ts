import { readFileSync } from 'node:fs';
import { descriptorSetPath } from '../shared/package-root.js';
import { envoyHttpStatusCodes } from './http-status.js';
import { ProtoDecodeError, ProtoReader, WIRE_LEN } from './proto-reader.js';

/**
 * What the server needs of the protobuf descriptors, read once at startup: the FileDescriptorProtos of the set buf
 * produced, each exactly as the compiler wrote it (served by reflection), and the HTTP status codes a
 * DeniedHttpResponse may carry. The Check path reads and writes its messages by hand (check-request-reader.ts,
 * check-response-writer.ts), so no protobuf runtime parses the Envoy .proto tree in the server (loadDescriptors in
 * descriptors.ts does, for gRPC clients: about 30 MB of RSS that a serving process does not need).
 */
export interface DescriptorSet {
  files: Buffer[];
  httpStatusCodes: Set<number>;
}

export function loadDescriptorSet(path: string = descriptorSetPath()): DescriptorSet {
  const files = splitDescriptorSet(readFileSync(path));
  return { files, httpStatusCodes: envoyHttpStatusCodes(files) };
}

/**
 * Split a FileDescriptorSet (field 1: repeated bytes `file`) into its FileDescriptorProto buffers. Only the outer
 * wire framing is read; any other field, or a truncated one, is malformed.
 */
export function splitDescriptorSet(set: Buffer): Buffer[] {
  const files: Buffer[] = [];
  const r = new ProtoReader(set);
  while (!r.done()) {
    const tag = r.tag();
    if (tag !== ((1 << 3) | WIRE_LEN)) throw new ProtoDecodeError(`unexpected field tag ${tag} in descriptor set`);
    files.push(r.bytes());
  }
  return files;
}
