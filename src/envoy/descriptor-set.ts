import { readFileSync } from 'node:fs';
import { descriptorSetPath } from '../shared/package-root.js';
import { envoyHttpStatusCodes } from './http-status.js';

/**
 * What the server needs of the protobuf descriptors, read once at startup: the FileDescriptorSet's bytes exactly as
 * buf produced them (served by reflection) and the HTTP status codes a DeniedHttpResponse may carry. The Check path
 * reads and writes its messages by hand (check-request-reader.ts, check-response-writer.ts), so no protobuf runtime
 * parses the Envoy .proto tree in the server (loadDescriptors in descriptors.ts does, for gRPC clients: about 30 MB
 * of RSS that a serving process does not need).
 */
export interface DescriptorSet {
  setBytes: Buffer;
  httpStatusCodes: Set<number>;
}

export function loadDescriptorSet(path: string = descriptorSetPath()): DescriptorSet {
  const setBytes = readFileSync(path);
  return { setBytes, httpStatusCodes: envoyHttpStatusCodes(setBytes) };
}
