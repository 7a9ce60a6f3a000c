import { parse as parseContentType } from 'content-type';
import { REASON } from '../shared/errors.js';
import type { McpError } from './types.js';

/**
 * The one reading of a request's media type, as upstream decoders read it. The header is parsed with the
 * `content-type` package, the RFC 7231 parser Express's body-parser and the MCP TypeScript SDK's transports use
 * themselves, so a header the server accepts is one they read the same way. Accepted, positively:
 *
 * - the type is exactly `application/json` (case-insensitive); any other type is not a JSON-RPC body the server
 *   reads. `application/*+json`, `text/json` and other JSON-looking types are refused as ambiguous: some upstreams
 *   parse them as JSON, others ignore or reject them, and OPA's Envoy plugin leaves them unparsed;
 * - the `charset` parameter is absent or names UTF-8 (`utf-8`, `utf8`, any case, quoted or not), the only charset
 *   RFC 8259 allows and the one every upstream then decodes. Any other charset (`utf-7`, `unicode-1-1-utf-7`,
 *   `utf-16`, `latin1`, …) is refused: body-parser and the SDK's SSE transport would decode the bytes with it and
 *   read another message than the server;
 * - no parameter appears twice (which `charset` wins differs between parsers).
 */
export type MediaTypeReading =
  | { ok: true; json: true }
  /** Not JSON at all: the body is not an MCP message (the caller decides whether that is an error). */
  | { ok: true; json: false; type: string }
  | { ok: false; error: McpError };

const UTF8 = new Set(['utf-8', 'utf8']);
/** The parameter grammar of RFC 7231 §3.1.1.1, as the `content-type` package matches it (after it validated the header). */
const PARAM =
  /; *([!#$%&'*+.^_`|~0-9A-Za-z-]+) *= *("(?:[\u000b\u0020\u0021\u0023-\u005b\u005d-\u007e\u0080-\u00ff]|\\[\u000b\u0020-\u00ff])*"|[!#$%&'*+.^_`|~0-9A-Za-z-]+) */g;

export function readMediaType(header: string | undefined): MediaTypeReading {
  const refuse = (code: McpError['code'], message: string): MediaTypeReading => ({ ok: false, error: { code, message } });
  if (header === undefined || header.trim() === '') return refuse(REASON.contentTypeUnsupported, 'no content-type: expected application/json');
  let type: string;
  let charset: string | undefined;
  try {
    const parsed = parseContentType(header);
    type = parsed.type;
    charset = parsed.parameters.charset;
  } catch (err) {
    return refuse(REASON.contentTypeInvalid, `content-type ${JSON.stringify(header)} is not a media type (${(err as Error).message})`);
  }
  const names = [...header.matchAll(PARAM)].map((m) => m[1]!.toLowerCase());
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated) return refuse(REASON.contentTypeInvalid, `content-type ${JSON.stringify(header)} repeats the parameter ${repeated}`);
  if (type !== 'application/json') {
    if (/json/.test(type))
      return refuse(REASON.contentTypeAmbiguous, `content-type ${type} is read as JSON by some upstreams and not by others: send application/json`);
    return { ok: true, json: false, type };
  }
  if (charset !== undefined && !UTF8.has(charset.toLowerCase())) {
    return refuse(
      REASON.contentTypeCharsetUnsupported,
      `charset ${JSON.stringify(charset)}: JSON is UTF-8 (RFC 8259); an upstream would decode this body as another message`,
    );
  }
  return { ok: true, json: true };
}
