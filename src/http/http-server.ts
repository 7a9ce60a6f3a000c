import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpReply {
  status: number;
  body: string;
  contentType?: string;
}

/** Route key: "METHOD /path". Handlers get the parsed JSON body for POSTs (undefined when empty). */
export type Routes = Record<string, (body: unknown) => HttpReply | Promise<HttpReply>>;

export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

/** A small JSON/text HTTP server for health, metrics and admin routes. */
export async function startHttpServer(address: string, routes: Routes): Promise<HttpServer> {
  const server: Server = createServer((req, res) => {
    void handle(req, routes).then((reply) => {
      res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json', 'cache-control': 'no-store' });
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

async function handle(req: IncomingMessage, routes: Routes): Promise<HttpReply> {
  const path = (req.url ?? '/').split('?')[0];
  const route = routes[`${req.method} ${path}`];
  if (!route) {
    const known = Object.keys(routes).some((k) => k.endsWith(` ${path}`));
    return json(known ? 405 : 404, { error: known ? 'method_not_allowed' : 'not_found' });
  }
  let body: unknown;
  try {
    const text = await readBody(req);
    body = text ? JSON.parse(text) : undefined;
  } catch (err) {
    return json(400, { error: 'bad_request', message: (err as Error).message });
  }
  try {
    return await route(body);
  } catch (err) {
    return json(500, { error: 'internal_error', message: (err as Error).message });
  }
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
