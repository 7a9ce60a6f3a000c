import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpReply {
  status: number;
  body: string | Buffer;
  contentType?: string;
  /** More response headers (e.g. www-authenticate, content-security-policy). */
  headers?: Record<string, string>;
}

/** What a handler (and the guard) may know about the request besides its JSON body. */
export interface RouteContext {
  method: string;
  path: string;
  /** `:name` segments of a pattern route, URI-decoded; `*` holds the rest of a prefix route. */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  remoteAddress: string;
  /** Set by the guard: who is calling (an authenticated user name). */
  user?: string;
}

/**
 * Route key: "METHOD /path", "METHOD /path/:param/…" or "METHOD /prefix/*". Handlers get the parsed JSON body for
 * POSTs (undefined when empty) and the request context.
 */
export type Routes = Record<string, (body: unknown, ctx: RouteContext) => HttpReply | Promise<HttpReply>>;

export interface HttpServerOptions {
  /** Runs before routing; a reply stops the request (authentication, CSRF). */
  guard?: (ctx: RouteContext) => HttpReply | undefined;
}

export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

/** A small JSON/text HTTP server for health, metrics and admin routes. */
export async function startHttpServer(address: string, routes: Routes, opts: HttpServerOptions = {}): Promise<HttpServer> {
  const server: Server = createServer((req, res) => {
    void handle(req, routes, opts).then((reply) => {
      res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json', 'cache-control': 'no-store', ...reply.headers });
      res.end(reply.body);
    });
  });
  server.keepAliveTimeout = 5_000;
  const { host, port } = splitHostPort(address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, routes: Routes, opts: HttpServerOptions): Promise<HttpReply> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const ctx: RouteContext = {
    method: req.method ?? 'GET',
    path,
    params: {},
    query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
    headers: req.headers,
    remoteAddress: req.socket.remoteAddress ?? '',
  };
  const denied = opts.guard?.(ctx);
  if (denied) return denied;
  // HEAD is answered as GET without the body (node:http sends no body for HEAD), as HTTP requires of a server.
  const found = findRoute(routes, ctx.method === 'HEAD' ? 'GET' : ctx.method, path);
  if (!found) {
    const known =
      Object.keys(routes).some((k) => k.endsWith(` ${path}`)) ||
      ['GET', 'POST', 'PUT', 'DELETE'].some((m) => m !== ctx.method && findRoute(routes, m, path));
    return json(known ? 405 : 404, { error: known ? 'method_not_allowed' : 'not_found' });
  }
  const route = found.handler;
  ctx.params = found.params;
  let body: unknown;
  try {
    const text = await readBody(req);
    body = text ? JSON.parse(text) : undefined;
  } catch (err) {
    return json(400, { error: 'bad_request', message: (err as Error).message });
  }
  try {
    return await route(body, ctx);
  } catch (err) {
    return json(500, { error: 'internal_error', message: (err as Error).message });
  }
}

/** Exact routes first, then `:param` patterns, then `/*` prefixes. Returns undefined for an undecodable path. */
function findRoute(routes: Routes, method: string, path: string): { handler: Routes[string]; params: Record<string, string> } | undefined {
  const exact = routes[`${method} ${path}`];
  if (exact) return { handler: exact, params: {} };
  const segments = path.split('/');
  for (const [key, handler] of Object.entries(routes)) {
    const space = key.indexOf(' ');
    if (key.slice(0, space) !== method) continue;
    const pattern = key.slice(space + 1).split('/');
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pattern.length && ok; i++) {
      const p = pattern[i]!;
      if (p === '*' && i === pattern.length - 1) {
        params['*'] = segments.slice(i).join('/');
        return { handler, params };
      }
      const s = segments[i];
      if (s === undefined) ok = false;
      else if (p.startsWith(':') && s !== '') {
        try {
          params[p.slice(1)] = decodeURIComponent(s);
        } catch {
          ok = false;
        }
      } else if (p !== s) ok = false;
    }
    if (ok && pattern.length === segments.length) return { handler, params };
  }
  return undefined;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export const json = (status: number, value: unknown): HttpReply => ({ status, body: `${JSON.stringify(value)}\n` });

export function splitHostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}
