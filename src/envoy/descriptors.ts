import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { descriptorSetPath } from '../shared/package-root.js';

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

/** The .proto roots, from registry packages: Envoy/xDS/googleapis/validate trees and grpc.health.v1. */
export function protoIncludeDirs(): string[] {
  const require = createRequire(import.meta.url);
  const xds = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  const health = join(dirname(require.resolve('grpc-health-check/package.json')), 'proto');
  return [join(xds, 'envoy-api'), join(xds, 'googleapis'), join(xds, 'xds'), join(xds, 'protoc-gen-validate'), health];
}

/**
 * Load the service definitions once, at startup. Messages are decoded from the .proto sources (protobufjs
 * builds map fields only from sources, not from descriptor sets); reflection serves the generated descriptor
 * set built from the same sources by scripts/gen-proto.sh.
 */
export function loadDescriptors(path: string = descriptorSetPath()): Descriptors {
  const setBytes = readFileSync(path);
  const packageDefinition = protoLoader.loadSync(['envoy/service/auth/v3/external_auth.proto', 'health/v1/health.proto'], {
    ...LOADER_OPTIONS,
    includeDirs: protoIncludeDirs(),
  });
  return { setBytes, packageDefinition };
}
