/**
 * The trace a request belongs to, for the decision log and the console: the check span's trace id when tracing is
 * on, else the one the caller propagated, so an operator can find the request in the gateway's trace even when
 * mcp-authz itself exports no spans. W3C `traceparent` first (version 00 form: 32 lower-case hex digits, not all
 * zero), then B3 (`x-b3-traceid`, 16 or 32 hex digits, or the single `b3` header). Anything else is no trace id.
 */
export function traceIdOf(spanTraceId: string | null | undefined, headers: Record<string, string> | undefined): string | null {
  if (spanTraceId) return spanTraceId;
  if (!headers) return null;
  const w3c = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(headers.traceparent?.trim() ?? '');
  if (w3c && !/^0+$/.test(w3c[1]!)) return w3c[1]!;
  const b3 = headers['x-b3-traceid']?.trim().toLowerCase() ?? headers.b3?.trim().toLowerCase().split('-')[0] ?? '';
  if (/^(?:[0-9a-f]{16}|[0-9a-f]{32})$/.test(b3) && !/^0+$/.test(b3)) return b3;
  return null;
}
