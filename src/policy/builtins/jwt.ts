import { isString } from './raw.js';

const B64URL = /^[A-Za-z0-9_-]*$/;

function segment(s: string): unknown {
  if (!B64URL.test(s)) throw new Error('invalid base64url');
  return JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
}

/**
 * io.jwt.decode: [header, payload, signature as hex] WITHOUT verifying anything. Policies must not trust it for
 * identity: mcp-authz verifies tokens itself and exposes the result as input.identity.
 */
export function jwtDecode(token: unknown): unknown[] | undefined {
  if (!isString(token)) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = segment(parts[0]!);
    const payload = segment(parts[1]!);
    if (!header || typeof header !== 'object' || Array.isArray(header)) return undefined;
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
    if (!B64URL.test(parts[2]!)) return undefined;
    return [header, payload, Buffer.from(parts[2]!, 'base64url').toString('hex')];
  } catch {
    return undefined;
  }
}
