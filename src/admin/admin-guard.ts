import { readFileSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { AdminAuthConfig } from './admin-auth-config.js';
import { type HttpReply, json, type RouteContext } from './http-server.js';

export interface AdminGuardOptions {
  auth: AdminAuthConfig;
  /** The admin listener is bound to a loopback address: then the Host header must name loopback too. */
  loopback: boolean;
  /** Paths served without bearer authentication (the console's static shell: it holds no data; it asks for the token). */
  publicPrefixes?: readonly string[];
}

const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

/** host:port → host, for a Host header or an Origin's authority. */
const hostOf = (authority: string): string => (authority.startsWith('[') ? authority.slice(0, authority.indexOf(']') + 1) : authority.split(':')[0]!);

/**
 * The admin listener's gate, before any route:
 * - DNS rebinding: on a loopback bind, a Host header that is not loopback is refused (a web page whose name
 *   resolves to 127.0.0.1 cannot read decisions or approve calls).
 * - Authentication (optional): a bearer token or HTTP basic credentials, compared in constant time. Basic sets
 *   the acting user (the approver recorded in the audit trail).
 * - CSRF: a state-changing request from a browser must be same-origin (Origin matches Host, Sec-Fetch-Site is
 *   same-origin or none) and carry its JSON body as application/json, which a cross-site form cannot send.
 *   Clients without Origin (the CLI, curl) are not browsers and pass.
 */
export function createAdminGuard(opts: AdminGuardOptions): (ctx: RouteContext) => HttpReply | undefined {
  const token = opts.auth.bearer_token ?? (opts.auth.bearer_token_file ? readFileSync(opts.auth.bearer_token_file, 'utf8').trim() : undefined);
  const user = opts.auth.basic_username;
  const password =
    opts.auth.basic_password ?? (opts.auth.basic_password_file ? readFileSync(opts.auth.basic_password_file, 'utf8').trim() : undefined);
  const required = Boolean(token || (user && password));
  const challenge = user ? 'Basic realm="mcp-authz", charset="UTF-8"' : 'Bearer realm="mcp-authz"';

  return (ctx) => {
    const host = String(ctx.headers.host ?? '');
    if (opts.loopback && host && !isLoopbackHost(hostOf(host)))
      return json(403, { error: 'forbidden_host', message: 'the admin address is bound to loopback; use localhost or 127.0.0.1' });

    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      const origin = ctx.headers.origin;
      const site = ctx.headers['sec-fetch-site'];
      if (origin !== undefined && origin !== 'null') {
        let ok = false;
        try {
          ok = new URL(origin).host === host;
        } catch {
          ok = false;
        }
        if (!ok) return json(403, { error: 'csrf_rejected', message: 'cross-origin request refused' });
      } else if (origin === 'null') return json(403, { error: 'csrf_rejected', message: 'opaque origin refused' });
      if (typeof site === 'string' && site !== 'same-origin' && site !== 'none')
        return json(403, { error: 'csrf_rejected', message: `Sec-Fetch-Site ${site} refused` });
      // A browser (it sends Origin or Sec-Fetch-*) must send its body as JSON, which a cross-site form cannot.
      const browser = origin !== undefined || site !== undefined;
      const length = Number(ctx.headers['content-length'] ?? 0);
      const chunked = ctx.headers['transfer-encoding'] !== undefined;
      const type = String(ctx.headers['content-type'] ?? '').toLowerCase();
      if (browser && (length > 0 || chunked) && !type.startsWith('application/json'))
        return json(415, { error: 'unsupported_media_type', message: 'send the body as application/json' });
    }

    if (!required) return undefined;
    // With basic auth the shell is protected too, so the browser asks for credentials on the first page load.
    if (!user && opts.publicPrefixes?.some((p) => ctx.path === p || ctx.path.startsWith(`${p}/`)) && (ctx.method === 'GET' || ctx.method === 'HEAD'))
      return undefined;
    const header = String(ctx.headers.authorization ?? '');
    const space = header.indexOf(' ');
    const scheme = header.slice(0, space).toLowerCase();
    const cred = header.slice(space + 1).trim();
    if (token && scheme === 'bearer' && same(cred, token)) return undefined;
    if (user && password && scheme === 'basic') {
      const decoded = Buffer.from(cred, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0 && same(decoded.slice(0, colon), user) && same(decoded.slice(colon + 1), password)) {
        ctx.user = user;
        return undefined;
      }
    }
    return {
      ...json(401, { error: 'unauthorized', message: 'the admin address requires authentication' }),
      headers: { 'www-authenticate': challenge },
    };
  };
}
