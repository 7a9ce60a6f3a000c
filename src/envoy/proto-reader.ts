/** A malformed protobuf message: the call is refused (gRPC INTERNAL, as grpc-js answers a message it cannot decode). */
export class ProtoDecodeError extends Error {
  override name = 'ProtoDecodeError';
}

/** Wire types (protobuf encoding): varint, 64-bit, length-delimited, start group, end group, 32-bit. */
export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_SGROUP = 3;
export const WIRE_EGROUP = 4;
export const WIRE_I32 = 5;

/** Nested messages deeper than this are refused (protobufjs and protoc use the same limit). */
export const RECURSION_LIMIT = 100;

/**
 * A protobuf wire-format reader over one message's bytes: tags, varints, length-delimited fields and skipping of
 * unknown fields. Only what the ext_authz messages use. Every read is bounds-checked; malformed input throws
 * ProtoDecodeError, never reads past `end`.
 */
export class ProtoReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    pos = 0,
    readonly end = buf.length,
  ) {
    this.pos = pos;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** The next field's tag: the field number is `tag >>> 3`, the wire type `tag & 7`. Field number 0 is malformed. */
  tag(): number {
    const t = this.uint32();
    if (t >>> 3 === 0) throw new ProtoDecodeError('field number 0');
    return t;
  }

  /** A varint's low 32 bits, unsigned (protobuf truncates wider values for 32-bit fields). */
  uint32(): number {
    const buf = this.buf;
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) throw new ProtoDecodeError('truncated varint');
      const b = buf[this.pos++]!;
      if (shift < 32) result |= (b & 0x7f) << shift;
      if (b < 0x80) return result >>> 0;
    }
    throw new ProtoDecodeError('varint longer than 10 bytes');
  }

  int32(): number {
    return this.uint32() | 0;
  }

  bool(): boolean {
    // Any set bit of the (up to 10-byte) varint makes it true; no BigInt is built.
    const buf = this.buf;
    let set = false;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoDecodeError('truncated varint');
      const b = buf[this.pos++]!;
      if ((b & 0x7f) !== 0) set = true;
      if (b < 0x80) return set;
    }
    throw new ProtoDecodeError('varint longer than 10 bytes');
  }

  /** A varint as a 64-bit unsigned BigInt (int64 fields are rare here: sizes and timestamps). */
  varint64(): bigint {
    const buf = this.buf;
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) throw new ProtoDecodeError('truncated varint');
      const b = buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    throw new ProtoDecodeError('varint longer than 10 bytes');
  }

  /**
   * int64 as its decimal string (proto-loader `longs: String`). A varint of up to 7 bytes (below 2^49: every
   * timestamp and size a CheckRequest carries) is read with plain numbers; a longer one, negative values among
   * them, through BigInt.
   */
  int64String(): string {
    const buf = this.buf;
    const start = this.pos;
    let n = 0;
    for (let i = 0, mul = 1; i < 7 && this.pos < this.end; i++, mul *= 128) {
      const b = buf[this.pos++]!;
      n += (b & 0x7f) * mul;
      if (b < 0x80) return String(n);
    }
    this.pos = start;
    return BigInt.asIntN(64, this.varint64()).toString();
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new ProtoDecodeError('truncated double');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A length-delimited field's extent: [start, end) in `buf`, with the reader moved past it. */
  span(): [number, number] {
    const start = this.lengthDelimited();
    return [start, this.pos];
  }

  /** A string field: UTF-8 decoded as Node decodes it (invalid sequences become U+FFFD, as protobufjs reads them). */
  string(): string {
    const start = this.lengthDelimited();
    return this.buf.toString('utf8', start, this.pos);
  }

  /** A bytes field, as a view over the message buffer (no copy). */
  bytes(): Buffer {
    const start = this.lengthDelimited();
    return this.buf.subarray(start, this.pos);
  }

  /** A reader over an embedded message. */
  sub(): ProtoReader {
    const start = this.lengthDelimited();
    return new ProtoReader(this.buf, start, this.pos);
  }

  /** Read a length prefix and move past the field; returns where its contents start (they end at `pos`). */
  private lengthDelimited(): number {
    const len = this.uint32();
    const start = this.pos;
    if (len > this.end - start) throw new ProtoDecodeError('length-delimited field past the end of its message');
    this.pos = start + len;
    return start;
  }

  /** Skip a field of wire type `wire` (an unknown field). Groups are skipped whole. */
  skip(wire: number, depth = 0): void {
    switch (wire) {
      case WIRE_VARINT:
        this.bool();
        return;
      case WIRE_I64:
        this.advance(8);
        return;
      case WIRE_LEN:
        this.lengthDelimited();
        return;
      case WIRE_I32:
        this.advance(4);
        return;
      case WIRE_SGROUP: {
        if (depth >= RECURSION_LIMIT) throw new ProtoDecodeError('groups nested too deeply');
        for (;;) {
          const w = this.tag() & 7;
          if (w === WIRE_EGROUP) return;
          this.skip(w, depth + 1);
        }
      }
      default:
        throw new ProtoDecodeError(`invalid wire type ${wire}`);
    }
  }

  /** Check that a known field arrived with the wire type its declaration implies. */
  expect(wire: number, expected: number): void {
    if (wire !== expected) throw new ProtoDecodeError(`wire type ${wire} where ${expected} was expected`);
  }

  private advance(n: number): void {
    if (n > this.end - this.pos) throw new ProtoDecodeError('truncated fixed-width field');
    this.pos += n;
  }
}
