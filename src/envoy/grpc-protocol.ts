/**
 * The gRPC-over-HTTP/2 pieces nghttp2 does not do (grpc/grpc PROTOCOL-HTTP2.md): the 5-byte length-prefixed
 * message framing, `grpc-timeout`, `grpc-status` codes and the percent-encoded `grpc-message`.
 */

export const STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** A call's failure as a gRPC status (what grpc-js's `callback({code, details})` carried). */
export class GrpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** `application/grpc`, optionally followed by `+proto` / `+json` / `;params` (the spec's Content-Type). */
export function isGrpcContentType(ct: string | undefined): boolean {
  if (ct === undefined || !ct.startsWith('application/grpc')) return false;
  const next = ct.charCodeAt(16);
  return ct.length === 16 || next === 0x2b /* + */ || next === 0x3b /* ; */;
}

const TIMEOUT_UNITS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** `grpc-timeout` (1–8 digits and a unit) → milliseconds; undefined when absent; NaN when malformed. */
export function parseTimeout(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(v);
  if (!m) return Number.NaN;
  return Number(m[1]) * TIMEOUT_UNITS[m[2]!]!;
}

/** `grpc-message`: percent-encode every byte of the UTF-8 text outside 0x20–0x7E, and `%` itself. */
export function encodeMessage(text: string): string {
  let plain = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return text;
  let out = '';
  for (const b of Buffer.from(text, 'utf8'))
    out += b < 0x20 || b > 0x7e || b === 0x25 ? `%${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b);
  return out;
}

/** Frame one message: compressed flag 0, 4-byte big-endian length, the bytes. */
export function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** Fill in the frame header of a message written behind 5 spare bytes (check-response-writer `framed`). */
export function frameInPlace(framed: Buffer): Buffer {
  framed[0] = 0;
  framed.writeUInt32BE(framed.length - 5, 1);
  return framed;
}

/**
 * Reads length-prefixed messages from a request body's DATA chunks. A message larger than `maxBytes` is
 * RESOURCE_EXHAUSTED before it is buffered; a compressed one is refused (this server accepts identity only, and
 * says so in `grpc-accept-encoding`).
 */
export class MessageReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onMessage: (message: Buffer) => void,
  ) {}

  /** Feed one DATA chunk; throws GrpcError on a message the server refuses. */
  push(chunk: Buffer): void {
    if (this.buffered === 0) this.chunks = [chunk];
    else this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.buffered < 5) return;
      const head = this.chunks[0]!.length >= 5 ? this.chunks[0]! : this.flatten();
      const compressed = head[0]!;
      const len = head.readUInt32BE(1);
      if (compressed === 1) throw new GrpcError(STATUS.INTERNAL, 'compressed message without a negotiated grpc-encoding');
      if (compressed !== 0) throw new GrpcError(STATUS.INTERNAL, `invalid compressed-flag ${compressed}`);
      if (len > this.maxBytes) throw new GrpcError(STATUS.RESOURCE_EXHAUSTED, `Received message larger than max (${len} vs. ${this.maxBytes})`);
      if (this.buffered < 5 + len) return;
      const all = this.chunks.length === 1 ? this.chunks[0]! : this.flatten();
      this.onMessage(all.subarray(5, 5 + len));
      const rest = all.subarray(5 + len);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
  }

  /** Bytes of an incomplete message left at the end of the body (a truncated request). */
  pending(): number {
    return this.buffered;
  }

  private flatten(): Buffer {
    const all = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [all];
    return all;
  }
}
