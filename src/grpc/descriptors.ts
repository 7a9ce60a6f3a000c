import { readFileSync } from 'node:fs';
import * as protoLoader from '@grpc/proto-loader';
import { descriptorSetPath } from '../package-root.js';

/**
 * proto-loader options. `keepCase` keeps proto field names (snake_case) on decoded objects; bytes stay Buffers;
 * enums are names; defaults are not filled in (absent = unset); no virtual oneof properties.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: false,
  oneofs: false,
};

export interface Descriptors {
  /** Raw FileDescriptorSet bytes exactly as buf produced them (served by reflection). */
  setBytes: Buffer;
  packageDefinition: protoLoader.PackageDefinition;
}

/** Load the generated descriptor set once, at startup. */
export function loadDescriptors(path: string = descriptorSetPath()): Descriptors {
  const setBytes = readFileSync(path);
  const packageDefinition = protoLoader.loadFileDescriptorSetFromBuffer(setBytes, LOADER_OPTIONS);
  return { setBytes, packageDefinition };
}
