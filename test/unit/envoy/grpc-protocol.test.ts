import { describe, expect, it } from 'vitest';
import { encodeMessage, frame, GrpcError, isGrpcContentType, MessageReader, parseTimeout, STATUS } from '../../../src/envoy/grpc-protocol.js';

describe('gRPC over HTTP/2: the parts nghttp2 does not do', () => {
  it('grpc-timeout: 1-8 digits and a unit, in ms; malformed is NaN; absent undefined', () => {
    expect(parseTimeout('1H')).toBe(3_600_000);
    expect(parseTimeout('2M')).toBe(120_000);
    expect(parseTimeout('3S')).toBe(3000);
    expect(parseTimeout('250m')).toBe(250);
    expect(parseTimeout('1500u')).toBe(1.5);
    expect(parseTimeout('99999999n')).toBeCloseTo(99.999999);
    expect(parseTimeout(undefined)).toBeUndefined();
    for (const bad of ['', '1', 'S', '123456789S', '-1S', '1s', '1.5S', ' 1S']) expect(parseTimeout(bad)).toBeNaN();
  });

  it('grpc-message: printable ASCII as is, % and every other UTF-8 byte percent-encoded', () => {
    expect(encodeMessage('policy_denied (url_not_allowed)')).toBe('policy_denied (url_not_allowed)');
    expect(encodeMessage('100% sure\n')).toBe('100%25 sure%0A');
    expect(encodeMessage('é✓')).toBe('%C3%A9%E2%9C%93');
    expect(decodeURIComponent(encodeMessage('a%b\u{1F600}'))).toBe('a%b\u{1F600}');
  });

  it('content-type: application/grpc, +proto, +json, ;params; nothing else', () => {
    for (const ok of ['application/grpc', 'application/grpc+proto', 'application/grpc+json', 'application/grpc;charset=utf-8'])
      expect(isGrpcContentType(ok)).toBe(true);
    for (const bad of [undefined, '', 'application/json', 'application/grpcx', 'application/grpc-web', 'text/application/grpc'])
      expect(isGrpcContentType(bad)).toBe(false);
  });

  it('MessageReader: messages split across DATA chunks at every byte, several in one chunk', () => {
    const a = Buffer.from('hello');
    const b = Buffer.alloc(300, 7);
    const wire = Buffer.concat([frame(a), frame(Buffer.alloc(0)), frame(b)]);
    for (let cut = 0; cut <= wire.length; cut++) {
      const got: Buffer[] = [];
      const reader = new MessageReader(1000, (m) => got.push(Buffer.from(m)));
      reader.push(wire.subarray(0, cut));
      reader.push(wire.subarray(cut));
      expect(got).toEqual([a, Buffer.alloc(0), b]);
      expect(reader.pending()).toBe(0);
    }
    const partial = new MessageReader(1000, () => undefined);
    partial.push(frame(a).subarray(0, 7));
    expect(partial.pending()).toBe(7);
  });

  it('MessageReader: too large is RESOURCE_EXHAUSTED from the prefix alone; a compressed flag is INTERNAL', () => {
    const head = Buffer.alloc(5);
    head.writeUInt32BE(2000, 1);
    const reader = new MessageReader(1000, () => undefined);
    expect(() => reader.push(head)).toThrow(expect.objectContaining({ code: STATUS.RESOURCE_EXHAUSTED }));
    for (const flag of [1, 2]) {
      const f = frame(Buffer.from('x'));
      f[0] = flag;
      expect(() => new MessageReader(1000, () => undefined).push(f)).toThrow(GrpcError);
    }
  });
});
