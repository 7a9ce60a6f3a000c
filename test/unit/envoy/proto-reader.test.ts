import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtoDecodeError, ProtoReader } from '../../../src/envoy/proto-reader.js';

/** A varint as protobuf writes an int64 (two's complement, 10 bytes when negative), optionally padded with 0x80s. */
function varint(value: bigint, pad = 0): Buffer {
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  for (let i = 0; i < pad; i++) {
    out[out.length - 1]! |= 0x80;
    out.push(i === pad - 1 ? 0 : 0x80);
  }
  return Buffer.from(out);
}

describe('ProtoReader varints without BigInt where they fit', () => {
  const edges = [0n, 1n, 127n, 128n, 2n ** 49n - 1n, 2n ** 49n, 2n ** 53n + 1n, 2n ** 63n - 1n, -1n, -(2n ** 63n), 1_765_000_000n];

  it('int64String reads every int64 as BigInt.asIntN does, short, long, negative or padded', () => {
    for (const v of edges) {
      for (const pad of [0, 1, 3]) {
        const b = varint(v, pad);
        if (b.length > 10) continue;
        const r = new ProtoReader(b);
        expect(r.int64String(), `${v} pad ${pad}`).toBe(BigInt.asIntN(64, v).toString());
        expect(r.done()).toBe(true);
      }
    }
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
        expect(new ProtoReader(varint(v)).int64String()).toBe(v.toString());
      }),
    );
  });

  it('bool is true exactly when some bit is set, over the whole varint, and refuses truncated or overlong ones', () => {
    for (const v of edges) expect(new ProtoReader(varint(v)).bool(), `${v}`).toBe(v !== 0n);
    expect(new ProtoReader(varint(0n, 5)).bool()).toBe(false);
    expect(new ProtoReader(Buffer.from([0x80, 0x80, 0x01])).bool()).toBe(true);
    expect(() => new ProtoReader(Buffer.from([0x80, 0x80])).bool()).toThrow(ProtoDecodeError);
    expect(() => new ProtoReader(Buffer.alloc(11, 0x80)).bool()).toThrow(ProtoDecodeError);
    expect(() => new ProtoReader(Buffer.from([0x80, 0x80])).int64String()).toThrow(ProtoDecodeError);
  });

  it('string, bytes and sub read a length-delimited field and move past it; a length past the end is refused', () => {
    const field = Buffer.from([0x03, 0x61, 0x62, 0x63, 0x01]);
    const r = new ProtoReader(field);
    expect(r.string()).toBe('abc');
    expect(r.pos).toBe(4);
    expect(new ProtoReader(field).bytes()).toEqual(Buffer.from('abc'));
    const sub = new ProtoReader(field).sub();
    expect([sub.pos, sub.end]).toEqual([1, 4]);
    expect(() => new ProtoReader(Buffer.from([0x05, 0x61])).string()).toThrow('length-delimited field past the end of its message');
  });
});
