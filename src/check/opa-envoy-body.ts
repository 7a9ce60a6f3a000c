import type { Json, JsonObject } from '../mcp/types.js';

/**
 * `parsed_body` for the form content types OPA's Envoy plugin parses (envoyauth/request.go, getParsedBody), used
 * under `compat: opa-envoy`. Pure and synchronous (the input step is); hand-written because the stream-based
 * multipart libraries (busboy) cannot run inside a synchronous step, and the format needed here is small.
 *   application/x-www-form-urlencoded → {name: [value, …]}        (Go url.ParseQuery)
 *   multipart/form-data               → {name: [value, …]}        (parts with a form-data name; a part whose
 *                                                                   Content-Type is JSON is parsed as JSON)
 * `undefined`: not a form type, or multipart without a boundary (the plugin leaves parsed_body null then).
 * `{error}`: the plugin answers such a request 400 itself (request_parse_error).
 */
export function parseFormBody(contentType: string, text: string): { value: JsonObject } | { error: string } | undefined {
  const lower = contentType.toLowerCase();
  if (lower.includes('application/x-www-form-urlencoded')) return parseUrlEncoded(text);
  if (lower.includes('multipart/form-data')) {
    const boundary = mediaTypeParams(contentType).boundary;
    return boundary ? parseMultipart(text, boundary) : undefined;
  }
  return undefined;
}

/** Go's url.ParseQuery: `&`-separated pairs, `+` is a space, %XX escapes; a `;` or a bad escape is an error. */
function parseUrlEncoded(text: string): { value: JsonObject } | { error: string } {
  const out: Record<string, string[]> = {};
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    if (pair.includes(';')) return { error: 'invalid semicolon separator in query' };
    const eq = pair.indexOf('=');
    const key = formUnescape(eq < 0 ? pair : pair.slice(0, eq));
    const value = formUnescape(eq < 0 ? '' : pair.slice(eq + 1));
    if (key === undefined) return { error: `invalid URL escape in ${JSON.stringify(pair)}` };
    if (value === undefined) return { error: `invalid URL escape in ${JSON.stringify(pair)}` };
    (out[key] ??= []).push(value);
  }
  return { value: out };
}

function formUnescape(s: string): string | undefined {
  if (/%(?![0-9a-fA-F]{2})/.test(s)) return undefined;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    // Go keeps bytes that are not UTF-8; a JSON string cannot hold them faithfully: refuse.
    return undefined;
  }
}

/** RFC 7578 multipart/form-data: `--boundary` delimiter lines (CRLF or LF), part headers, a closing `--boundary--`. */
function parseMultipart(text: string, boundary: string): { value: JsonObject } | { error: string } {
  const out: Record<string, Json[]> = {};
  const delimiter = `--${boundary}`;
  // Lines keep their `\r`: part content is returned byte for byte; the line break before a delimiter is the delimiter's.
  const lines = text.split('\n');
  const isDelimiter = (l: string) => l.trimEnd() === delimiter || l.trimEnd() === `${delimiter}--`;
  let i = lines.findIndex(isDelimiter);
  if (i < 0) return { error: 'multipart: NextPart: EOF' };
  while (lines[i]!.trimEnd() !== `${delimiter}--`) {
    i++;
    const headers: Record<string, string> = {};
    for (; i < lines.length && lines[i]!.replace(/\r$/, '') !== ''; i++) {
      const line = lines[i]!.replace(/\r$/, '');
      const colon = line.indexOf(':');
      if (colon <= 0) return { error: `multipart: malformed MIME header line: ${line}` };
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const start = i + 1;
    let end = start;
    while (end < lines.length && !isDelimiter(lines[end]!)) end++;
    if (end >= lines.length) return { error: 'multipart: NextPart: EOF' };
    const content = lines.slice(start, end).join('\n').replace(/\r$/, '');
    i = end;
    const disposition = headers['content-disposition'];
    if (!disposition || !/^form-data\s*(;|$)/i.test(disposition)) continue;
    const name = mediaTypeParams(disposition).name;
    if (!name) continue;
    if ((headers['content-type'] ?? '').toLowerCase().includes('application/json')) {
      try {
        (out[name] ??= []).push(JSON.parse(content) as Json);
      } catch (err) {
        return { error: (err as Error).message };
      }
    } else {
      (out[name] ??= []).push(content);
    }
  }
  return { value: out };
}

/** Parameters of a media type or disposition (`; key=value` or `; key="quoted \" value"`), keys lower-cased. */
function mediaTypeParams(value: string): Record<string, string> {
  const params: Record<string, string> = {};
  const re = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;]*))/g;
  for (const m of value.matchAll(re)) params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
  return params;
}
