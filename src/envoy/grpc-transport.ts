import * as http2 from 'node:http2';
import { GrpcCall, type MethodDefinition, type MethodImplementation, Responder, type ServiceDefinition } from './grpc-call.js';
import { GrpcError, isGrpcContentType, MessageReader, parseTimeout, STATUS } from './grpc-protocol.js';

const { HTTP2_HEADER_STATUS, HTTP2_HEADER_CONTENT_TYPE, HTTP2_HEADER_METHOD, HTTP2_HEADER_PATH } = http2.constants;
const MAX_TIMER_MS = 2 ** 31 - 1;
const ignore = (): void => undefined;

/** A connection's calls in flight, for its idle limit: counted where each stream opens and closes (onStream). */
interface SessionCalls {
  /** A stream opened: the connection is not idle. */
  opened(): void;
  /** A stream closed: the last one arms the idle limit. */
  closed(): void;
}

export interface TransportOptions {
  /** Largest request message accepted, bytes: larger ones are RESOURCE_EXHAUSTED before they are buffered. */
  maxReceiveBytes: number;
  /** Largest response message sent, bytes: a larger one ends the call RESOURCE_EXHAUSTED instead. */
  maxSendBytes: number;
  /** Ping every connection this often (ms); 0: never. */
  keepaliveTimeMs: number;
  /** A ping unanswered this long (ms) closes the connection. */
  keepaliveTimeoutMs: number;
  /** A connection without a call this long (ms) is closed with a GOAWAY; 0: never. */
  maxIdleMs: number;
  /** A connection older than this (ms) is closed with a GOAWAY; 0: never. */
  maxAgeMs: number;
  /** After the age GOAWAY, calls in flight may finish for this long (ms); 0: unlimited. */
  maxAgeGraceMs: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS per connection; 0: nghttp2's default (unlimited). */
  maxConcurrentStreams: number;
}

/**
 * A unary method over raw bytes: one request message in, one framed response message out (the Check path), in the
 * same call or as a promise. A throw or a rejection ends the call with its GrpcError's code, else INTERNAL.
 */
export type RawUnaryHandler = (message: Buffer) => Buffer | Promise<Buffer>;

/**
 * A gRPC server on node:http2 (nghttp2 does all HTTP/2 framing, flow control, SETTINGS, PING and GOAWAY):
 * routing by `:path`, the gRPC message framing, `grpc-timeout` deadlines, message size limits, status trailers,
 * keepalive pings, idle and age limits, and a GOAWAY drain on shutdown. Unknown methods are UNIMPLEMENTED; a request
 * that is not gRPC gets HTTP 405 (not POST) or 415 (not application/grpc).
 */
export class GrpcTransport {
  private readonly raw = new Map<string, RawUnaryHandler>();
  private readonly methods = new Map<string, { def: MethodDefinition; fn: MethodImplementation }>();
  private readonly lazy = new Map<string, () => void>();
  private readonly sessions = new Map<http2.Http2Session, SessionCalls>();
  private readonly server: http2.Http2Server;
  private closing = false;

  constructor(private readonly opts: TransportOptions) {
    this.server = http2.createServer({
      // As grpc-js's server: header blocks and session memory are bounded by the message limits, not by nghttp2's.
      maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER,
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
      ...(opts.maxConcurrentStreams > 0 ? { settings: { maxConcurrentStreams: opts.maxConcurrentStreams } } : {}),
    });
    this.server.on('session', (s) => this.onSession(s));
    this.server.on('stream', (stream, headers) => this.onStream(stream, headers));
    // A peer's protocol error ends its connection only.
    this.server.on('sessionError', () => undefined);
  }

  /** The Check path: bytes in, framed bytes out, no intermediate objects. */
  addRawUnary(path: string, handler: RawUnaryHandler): void {
    this.raw.set(path, handler);
  }

  /** A grpc-js-style service (grpc.Server#addService's contract, as health and reflection use it). */
  addService(service: ServiceDefinition, impl: Record<string, MethodImplementation>): void {
    for (const [name, def] of Object.entries(service)) {
      const fn = impl[name] ?? (def.originalName ? impl[def.originalName] : undefined);
      if (fn) this.methods.set(def.path, { def, fn });
    }
  }

  /**
   * Services registered on their first call: `install` (synchronous) adds them with addService when a call to one
   * of `paths` first arrives, so what they load (reflection: protobufjs, grpc-js) stays out of a server nobody
   * inspects. An install that throws leaves the paths UNIMPLEMENTED.
   */
  addLazyService(paths: readonly string[], install: () => void): void {
    // The first call of any of the paths removes them all, so install runs once.
    const once = (): void => {
      for (const p of paths) this.lazy.delete(p);
      install();
    };
    for (const p of paths) this.lazy.set(p, once);
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  /**
   * Stop accepting connections, send every connection a GOAWAY and let the calls in flight finish for up to
   * `graceMs`; then close what is left. Resolves true when everything finished in time.
   */
  shutdown(graceMs: number): Promise<boolean> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sessions.keys()) s.close();
    if (this.sessions.size === 0) return closed.then(() => true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        for (const s of this.sessions.keys()) s.destroy();
        resolve(false);
      }, graceMs);
      void closed.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Per connection: the idle limit, keepalive pings and the age limit. */
  private onSession(session: http2.ServerHttp2Session): void {
    const o = this.opts;
    if (this.closing) {
      session.close();
      return;
    }
    session.on('error', ignore);
    let idle: NodeJS.Timeout | undefined;
    const armIdle = (): void => {
      if (o.maxIdleMs > 0) idle = setTimeout(() => session.close(), o.maxIdleMs);
    };
    armIdle();
    let active = 0;
    const calls: SessionCalls = {
      opened() {
        active++;
        if (idle) clearTimeout(idle);
        idle = undefined;
      },
      closed() {
        if (--active === 0 && !session.closed) armIdle();
      },
    };
    this.sessions.set(session, calls);
    let ping: NodeJS.Timeout | undefined;
    if (o.keepaliveTimeMs > 0) {
      ping = setInterval(() => {
        if (session.closed || session.destroyed) return;
        const unanswered = setTimeout(() => session.destroy(), o.keepaliveTimeoutMs);
        const sent = session.ping((err) => {
          clearTimeout(unanswered);
          if (err) session.destroy();
        });
        if (!sent) clearTimeout(unanswered); // pings already outstanding: theirs time out
      }, o.keepaliveTimeMs);
    }
    let age: NodeJS.Timeout | undefined;
    let ageGrace: NodeJS.Timeout | undefined;
    if (o.maxAgeMs > 0) {
      age = setTimeout(() => {
        session.close();
        if (o.maxAgeGraceMs > 0) ageGrace = setTimeout(() => session.destroy(), o.maxAgeGraceMs);
      }, o.maxAgeMs);
    }
    session.once('close', () => {
      this.sessions.delete(session);
      for (const t of [idle, age, ageGrace]) if (t) clearTimeout(t);
      if (ping) clearInterval(ping);
    });
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', ignore);
    // One 'close' listener per stream does both: the connection's idle accounting and ending the call.
    const calls = stream.session ? this.sessions.get(stream.session) : undefined;
    calls?.opened();
    let out: Responder | undefined;
    let call: GrpcCall | undefined;
    stream.once('close', () => {
      calls?.closed();
      // The client went away (RST_STREAM, a closed connection) or the stream ended: stop, tell a streaming call.
      out?.abandon();
      if (call && !call.cancelled) {
        call.cancelled = true;
        call.emit('cancelled');
      }
    });
    if (headers[HTTP2_HEADER_METHOD] !== 'POST') {
      stream.respond({ [HTTP2_HEADER_STATUS]: 405, allow: 'POST' }, { endStream: true });
      stream.resume();
      return;
    }
    if (!isGrpcContentType(one(headers[HTTP2_HEADER_CONTENT_TYPE]))) {
      stream.respond({ [HTTP2_HEADER_STATUS]: 415, 'accept-post': 'application/grpc' }, { endStream: true });
      stream.resume();
      return;
    }
    const path = one(headers[HTTP2_HEADER_PATH]) ?? '';
    const raw = this.raw.get(path);
    const install = raw ? undefined : this.lazy.get(path);
    if (install) {
      try {
        install();
      } catch {
        // not installed: the path answers UNIMPLEMENTED below
      }
    }
    const method = raw ? undefined : this.methods.get(path);

    let timer: NodeJS.Timeout | undefined;
    out = new Responder(stream, this.opts.maxSendBytes, () => timer && clearTimeout(timer));

    if (!raw && !method) {
      out.finish(STATUS.UNIMPLEMENTED, `The server does not implement the method ${path}`);
      return;
    }
    const encoding = one(headers['grpc-encoding']);
    if (encoding !== undefined && encoding !== 'identity') {
      out.finish(STATUS.UNIMPLEMENTED, `grpc-encoding ${encoding} is not supported`);
      return;
    }
    const timeout = parseTimeout(one(headers['grpc-timeout']));
    if (Number.isNaN(timeout)) {
      out.finish(STATUS.INTERNAL, 'malformed grpc-timeout');
      return;
    }
    // A deadline past what a timer can hold (2^31-1 ms, 24.8 days) is no deadline: setTimeout would fire at once.
    if (timeout !== undefined && timeout <= MAX_TIMER_MS)
      timer = setTimeout(() => out.finish(STATUS.DEADLINE_EXCEEDED, 'Deadline exceeded'), timeout);

    const def = method?.def;
    const unaryRequest = raw !== undefined || !def!.requestStream;
    let received: Buffer | undefined;
    const reader = new MessageReader(this.opts.maxReceiveBytes, (m) => {
      if (!unaryRequest) call?.deliver(m);
      else if (received) throw new GrpcError(STATUS.INTERNAL, 'more than one request message on a unary method');
      else received = m;
    });
    stream.on('data', (chunk: Buffer) => {
      if (out.done) return;
      try {
        reader.push(chunk);
      } catch (err) {
        out.finish(err instanceof GrpcError ? err.code : STATUS.INTERNAL, (err as Error).message);
      }
    });

    if (!unaryRequest) {
      call = new GrpcCall(out, def!);
      stream.once('end', () => !out.done && call!.emit('end'));
      call.invoke(method!.fn);
      return;
    }
    stream.once('end', () => {
      if (out.done) return;
      if (received === undefined || reader.pending() > 0) {
        out.finish(STATUS.INTERNAL, 'expected one request message');
        return;
      }
      if (raw) {
        const failed = (err: unknown): void =>
          out.finish(err instanceof GrpcError ? err.code : STATUS.INTERNAL, (err as Error)?.message ?? 'internal error');
        let framed: Buffer | Promise<Buffer>;
        try {
          framed = raw(received);
        } catch (err) {
          failed(err);
          return;
        }
        if (framed instanceof Promise) framed.then((f) => out.unary(f), failed);
        else out.unary(framed);
        return;
      }
      call = new GrpcCall(out, def!);
      try {
        call.request = def!.requestDeserialize(received);
      } catch {
        out.finish(STATUS.INTERNAL, 'Error deserializing request');
        return;
      }
      call.invoke(method!.fn);
    });
  }
}

/** A header's one value (a repeated one is read as its first, as grpc-js did). */
function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
