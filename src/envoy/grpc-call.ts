import { EventEmitter } from 'node:events';
import * as http2 from 'node:http2';
import { encodeMessage, frame, STATUS } from './grpc-protocol.js';

const { HTTP2_HEADER_STATUS, HTTP2_HEADER_CONTENT_TYPE } = http2.constants;

/** A method as grpc-js service definitions describe it (what grpc-health-check and @grpc/reflection hand over). */
export interface MethodDefinition {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  originalName?: string;
  requestDeserialize(b: Buffer): unknown;
  responseSerialize(v: unknown): Buffer;
}
export type ServiceDefinition = Record<string, MethodDefinition>;
export type Callback = (err: { code?: number; details?: string; message?: string } | null, value?: unknown) => void;
export type MethodImplementation = (call: GrpcCall, callback: Callback) => void;

/**
 * One stream's response side: response headers once, framed messages, then the status as trailers, or as a
 * Trailers-Only response (one HEADERS frame that ends the stream) when nothing was sent before it.
 */
export class Responder {
  private headersSent = false;
  done = false;
  private status: { code: number; message: string } | undefined;

  constructor(
    private readonly stream: http2.ServerHttp2Stream,
    private readonly maxSendBytes: number,
    private readonly onDone: () => void,
  ) {}

  private sendHeaders(): boolean {
    if (this.headersSent) return true;
    if (this.stream.destroyed || this.stream.closed) return false;
    this.headersSent = true;
    this.stream.respond(
      { [HTTP2_HEADER_STATUS]: 200, [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc', 'grpc-accept-encoding': 'identity' },
      { waitForTrailers: true },
    );
    this.stream.once('wantTrailers', () => {
      const s = this.status ?? { code: STATUS.OK, message: '' };
      this.stream.sendTrailers(
        s.message ? { 'grpc-status': String(s.code), 'grpc-message': encodeMessage(s.message) } : { 'grpc-status': String(s.code) },
      );
    });
    return true;
  }

  /** Write one message (unframed bytes). False once the call is over or the client is gone. */
  message(bytes: Buffer): boolean {
    return this.framed(frame(bytes));
  }

  /** Write one message already framed (5-byte prefix included). */
  framed(bytes: Buffer): boolean {
    if (this.done) return false;
    if (bytes.length - 5 > this.maxSendBytes) {
      this.finish(STATUS.RESOURCE_EXHAUSTED, `Sent message larger than max (${bytes.length - 5} vs. ${this.maxSendBytes})`);
      return false;
    }
    if (!this.sendHeaders()) return false;
    this.stream.write(bytes);
    return true;
  }

  /** A unary answer: headers, the one framed message and OK trailers. */
  unary(bytes: Buffer): void {
    if (this.framed(bytes)) this.finish(STATUS.OK, '');
  }

  /** End the call with this status (once; later calls do nothing). */
  finish(code: number, message: string): void {
    if (this.done) return;
    this.done = true;
    this.onDone();
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    if (this.headersSent) {
      this.status = { code, message };
      stream.end();
      return;
    }
    const headers: http2.OutgoingHttpHeaders = {
      [HTTP2_HEADER_STATUS]: 200,
      [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
      'grpc-status': String(code),
      'grpc-accept-encoding': 'identity',
    };
    if (message) headers['grpc-message'] = encodeMessage(message);
    stream.respond(headers, { endStream: true });
    // What the client still sends is read and dropped, so the stream closes.
    stream.resume();
  }

  /** The call ended without a status from us (client gone, deadline): nothing more is sent. */
  abandon(): void {
    if (this.done) return;
    this.done = true;
    this.onDone();
  }
}

/**
 * The call object handed to grpc-js-style implementations (health, reflection): `request` (a unary request),
 * `write`, `end`, and the events `data` / `end` (request messages, client half-close) and `cancelled`.
 */
export class GrpcCall extends EventEmitter {
  request: unknown;
  cancelled = false;

  constructor(
    private readonly out: Responder,
    private readonly method: MethodDefinition,
  ) {
    super();
  }

  write(value: unknown): boolean {
    return this.out.message(this.method.responseSerialize(value));
  }

  end(): void {
    this.out.finish(STATUS.OK, '');
    this.emit('finish');
  }

  /** Deliver one request message of a client-streaming call; a message that does not decode ends the call. */
  deliver(message: Buffer): void {
    let value: unknown;
    try {
      value = this.method.requestDeserialize(message);
    } catch {
      this.out.finish(STATUS.INTERNAL, 'Error deserializing request');
      return;
    }
    this.emit('data', value);
  }

  /** Run the implementation: its callback's error becomes the status; its value the one response message. */
  invoke(fn: MethodImplementation): void {
    try {
      fn(this, (err, value) => {
        if (err) this.out.finish(err.code ?? STATUS.UNKNOWN, err.details ?? err.message ?? '');
        else if (this.write(value)) this.out.finish(STATUS.OK, '');
      });
    } catch (err) {
      this.out.finish(STATUS.UNKNOWN, (err as Error).message);
    }
  }
}
