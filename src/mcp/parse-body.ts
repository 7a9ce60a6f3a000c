import { REASON } from '../shared/errors.js';
import type { Json, McpError, McpInput } from './types.js';
import { parseStrictJson } from './strict-json.js';
import { readMessage } from './jsonrpc.js';
import { readMediaType } from './media-type.js';

export interface BodyLimits {
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Deepest JSON nesting accepted. */
  maxDepth: number;
  /** Most messages accepted in one JSON-RPC batch. */
  maxBatch: number;
}

export interface BodyView {
  /** The body as text, or undefined when there is none. */
  text?: string;
  /** Set when the raw bytes were not valid UTF-8. */
  invalidUtf8?: boolean;
  /** Body length in bytes as received. */
  byteLength: number;
  truncated: boolean;
  contentType?: string;
}

export interface ParsedBody {
  /** The parsed JSON body (OPA Envoy plugin's `parsed_body`); undefined unless valid JSON. */
  parsedBody?: Json;
  mcp: McpInput;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decode raw body bytes strictly: invalid UTF-8 is reported, never replaced. */
export function decodeBody(bytes: Uint8Array): { text?: string; invalidUtf8?: boolean } {
  try {
    return { text: utf8.decode(bytes) };
  } catch {
    return { invalidUtf8: true };
  }
}

/**
 * Body → `parsed_body` and `input.mcp`. Pure and total: every malformed body yields `mcp.error` with a stable
 * code; nothing here throws.
 */
export function parseMcpBody(body: BodyView, limits: BodyLimits): ParsedBody {
  const mcp: McpInput = { is_batch: false };
  const error = (e: McpError): ParsedBody => ({ mcp: { ...mcp, error: e } });

  if (body.truncated) {
    return error({ code: REASON.bodyTruncated, message: 'the gateway forwarded a partial body; the full message cannot be inspected' });
  }
  if (body.byteLength > limits.maxBytes) {
    return error({ code: REASON.bodyTooLarge, message: `body of ${body.byteLength} bytes exceeds the limit of ${limits.maxBytes}` });
  }
  if (body.invalidUtf8) return error({ code: REASON.bodyInvalidUtf8, message: 'body is not valid UTF-8' });
  if (body.text === undefined || body.text.length === 0) {
    return error({ code: REASON.jsonrpcInvalidRequest, message: 'body is empty; expected a JSON-RPC message' });
  }
  const mediaType = readMediaType(body.contentType);
  if (!mediaType.ok) return error(mediaType.error);
  if (!mediaType.json) {
    return error({ code: REASON.contentTypeUnsupported, message: `content-type ${JSON.stringify(body.contentType ?? '')} is not application/json` });
  }
  if (body.text.charCodeAt(0) === 0xfeff) {
    return error({
      code: REASON.bodyByteOrderMark,
      message: 'the body starts with a byte order mark: body-parser strips it, Go and Python reject the body; send UTF-8 without one',
    });
  }

  const parsed = parseStrictJson(body.text, { maxDepth: limits.maxDepth });
  if (!parsed.ok) return error({ code: parsed.code, message: parsed.message });
  const value = parsed.value;

  if (Array.isArray(value)) {
    if (value.length === 0)
      return { parsedBody: value, mcp: { ...mcp, is_batch: true, error: { code: REASON.jsonrpcEmptyBatch, message: 'empty batch' } } };
    if (value.length > limits.maxBatch) {
      return {
        parsedBody: value,
        mcp: {
          ...mcp,
          is_batch: true,
          error: { code: REASON.jsonrpcBatchTooLarge, message: `batch of ${value.length} messages exceeds the limit of ${limits.maxBatch}` },
        },
      };
    }
    const batch = [];
    for (let i = 0; i < value.length; i++) {
      const r = readMessage(value[i]!);
      if (!r.ok) {
        return { parsedBody: value, mcp: { ...mcp, is_batch: true, error: { code: r.error.code, message: `batch[${i}]: ${r.error.message}` } } };
      }
      batch.push(r.message);
    }
    return { parsedBody: value, mcp: { ...mcp, is_batch: true, batch } };
  }

  const r = readMessage(value);
  if (!r.ok) return { parsedBody: value, mcp: { ...mcp, error: r.error } };
  return { parsedBody: value, mcp: { ...mcp, ...r.message } };
}
