/**
 * A protobuf wire-format writer: varints, length-delimited fields and embedded messages into one growing buffer.
 * An embedded message is written in place after a reserved length and moved once its size is known (`fork`/`join`).
 */
export class ProtoWriter {
  private buf: Buffer;
  private pos = 0;
  private readonly forks: number[] = [];

  constructor(initial = 512) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** An unsigned varint of up to 32 bits; negative int32 values are written sign-extended to 10 bytes. */
  varint(n: number): this {
    if (n < 0) return this.varint64(BigInt.asUintN(64, BigInt(n)));
    this.room(5);
    while (n > 0x7f) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.pos++] = n;
    return this;
  }

  private varint64(n: bigint): this {
    this.room(10);
    while (n > 0x7fn) {
      this.buf[this.pos++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    this.buf[this.pos++] = Number(n);
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  /** A string field (length-delimited UTF-8). */
  string(field: number, s: string): this {
    const len = Buffer.byteLength(s);
    this.tag(field, 2).varint(len);
    this.room(len);
    this.pos += this.buf.write(s, this.pos, 'utf8');
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  uint(field: number, n: number): this {
    return this.tag(field, 0).varint(n);
  }

  double(field: number, n: number): this {
    this.tag(field, 1).room(8);
    this.buf.writeDoubleLE(n, this.pos);
    this.pos += 8;
    return this;
  }

  /** Start an embedded message of field `field`: what is written until `join()` is its body. */
  fork(field: number): this {
    this.tag(field, 2);
    this.forks.push(this.pos);
    return this;
  }

  /** End the innermost embedded message: its length is written before it. */
  join(): this {
    const start = this.forks.pop()!;
    const len = this.pos - start;
    let size = 1;
    for (let v = len; v > 0x7f; v >>>= 7) size++;
    this.room(size);
    this.buf.copyWithin(start + size, start, this.pos);
    this.pos = start;
    this.varint(len);
    this.pos = start + size + len;
    return this;
  }

  /** The bytes written so far (a view: the writer is not reused after). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** Reserve `n` bytes at the current position (the caller fills them in through finish(): a frame header). */
  skip(n: number): this {
    this.room(n);
    this.pos += n;
    return this;
  }
}
