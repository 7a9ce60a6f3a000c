/**
 * Spellings of a header name that upstreams may read as the same header. Envoy, nginx
 * (`underscores_in_headers`), CGI/WSGI (`HTTP_X_PROCESSED_BY`) and many frameworks fold `_` and `-` together, so
 * `x_processed_by` or `x-processed_by` reaches them as `x-processed-by`. Every spelling mixing `-` and `_` at the
 * separator positions is returned (lower case, the name itself included). Names with more than 8 separators get
 * the name, its all-`-` and all-`_` spellings only (no header the server manages has that many).
 */
export function separatorTwins(name: string): string[] {
  const lower = name.toLowerCase();
  const positions: number[] = [];
  for (let i = 0; i < lower.length; i++) if (lower[i] === '-' || lower[i] === '_') positions.push(i);
  if (positions.length === 0) return [lower];
  if (positions.length > 8) return [...new Set([lower, lower.replaceAll('_', '-'), lower.replaceAll('-', '_')])];
  const out: string[] = [];
  const chars = [...lower];
  for (let mask = 0; mask < 1 << positions.length; mask++) {
    positions.forEach((p, bit) => {
      chars[p] = mask & (1 << bit) ? '_' : '-';
    });
    out.push(chars.join(''));
  }
  return out;
}
