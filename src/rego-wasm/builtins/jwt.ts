import { isObject, isString, parseJsonKeepingNumbers } from './exact-json.js';
import { goBase64Decode, goUtf8Decode } from './go-encoding.js';
import { BuiltinHalt } from './halt.js';

/** OPA's base64url.decode as io.jwt.decode uses it: unpadded input is padded first, a length of 4n+1 is an error. */
function base64UrlDecode(segment: string): Uint8Array | undefined {
  let s = segment;
  if (!s.endsWith('=')) {
    const rem = s.length % 4;
    if (rem === 1) return undefined;
    if (rem === 2) s += '==';
    if (rem === 3) s += '=';
  }
  return goBase64Decode(s, 'url', true);
}

/** A JSON object as OPA's json.unmarshal reads it (last duplicate key wins, numbers exact). */
function jsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const v = parseJsonKeepingNumbers(goUtf8Decode(bytes));
    return isObject(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * io.jwt.decode: [header, payload, signature as hex] WITHOUT verifying anything, as OPA's builtinJWTDecode: JWS
 * compact form only (a header with "enc" is a JWE: error), `cty: "JWT"` decodes the nested token instead.
 * Policies must not trust it for identity: mcp-authz verifies tokens itself (input.identity).
 */
export function jwtDecode(token: unknown, depth = 0): unknown[] | undefined {
  if (!isString(token) || !token.includes('.') || depth > 32) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const headerBytes = base64UrlDecode(parts[0]!);
  const header = headerBytes && jsonObject(headerBytes);
  if (!header || 'enc' in header) return undefined;
  const payloadBytes = base64UrlDecode(parts[1]!);
  if (!payloadBytes) return undefined;
  if ('cty' in header) {
    // OPA 1.22 panics on a non-string cty (an unchecked type assertion): the evaluation fails, it is not undefined.
    if (!isString(header.cty)) throw new BuiltinHalt('io.jwt.decode: the JWT header\'s "cty" is not a string');
    if (header.cty === 'JWT') return jwtDecode(trimQuotes(goUtf8Decode(payloadBytes)), depth + 1);
  }
  const payload = jsonObject(payloadBytes);
  if (!payload) return undefined;
  const signature = base64UrlDecode(parts[2]!);
  if (!signature) return undefined;
  return [header, payload, Buffer.from(signature).toString('hex')];
}

/** strings.Trim(s, `"'`) */
function trimQuotes(s: string): string {
  return s.replace(/^["']+/, '').replace(/["']+$/, '');
}
