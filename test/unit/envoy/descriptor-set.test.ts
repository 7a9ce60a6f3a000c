import { describe, expect, it } from 'vitest';
import { loadDescriptorSet, splitDescriptorSet } from '../../../src/envoy/descriptor-set.js';
import { loadDescriptors } from '../../../src/envoy/descriptors.js';
import { envoyHttpStatusCodes } from '../../../src/envoy/http-status.js';
import { ProtoDecodeError } from '../../../src/envoy/proto-reader.js';

describe('the descriptor set the server reads (no protobuf runtime)', () => {
  it('gives the same HTTP status codes as proto-loader reads from the .proto sources, 0 left out', () => {
    const fromSources = (
      loadDescriptors().packageDefinition['envoy.type.v3.StatusCode'] as unknown as { type: { value: { number: number }[] } }
    ).type.value
      .map((v) => v.number)
      .filter((n) => n > 0)
      .sort((a, b) => a - b);
    const { httpStatusCodes, files } = loadDescriptorSet();
    expect([...httpStatusCodes].sort((a, b) => a - b)).toEqual(fromSources);
    expect(fromSources).toContain(403);
    expect(httpStatusCodes.has(0)).toBe(false);
    expect(files.length).toBeGreaterThan(0);
  });

  it('refuses a set without envoy.type.v3.StatusCode by name, and truncated bytes as malformed', () => {
    // one FileDescriptorProto with package "other" (field 2) and nothing else
    const file = Buffer.from([0x12, 0x05, ...Buffer.from('other')]);
    const set = Buffer.concat([Buffer.from([0x0a, file.length]), file]);
    expect(() => envoyHttpStatusCodes(splitDescriptorSet(set))).toThrow('envoy.type.v3.StatusCode missing from the descriptor set');
    expect(() => envoyHttpStatusCodes(splitDescriptorSet(set.subarray(0, set.length - 2)))).toThrow(ProtoDecodeError);
    expect(() => splitDescriptorSet(Buffer.from([0x12, 0x00]))).toThrow('unexpected field tag 18 in descriptor set');
  });
});
