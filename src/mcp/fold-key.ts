/**
 * Object-key folding as Go's encoding/json matches struct fields: case-insensitively, with Unicode simple case
 * folding, so `Method`, `METHOD`, `ſ` (long s) for `s` and `K` (Kelvin sign) for `k` all name the same field.
 * A body whose object holds two keys equal under this folding means different things to different decoders
 * (JSON.parse keeps both, Go keeps the last one for the field), so the parser refuses it.
 *
 * The folded form of a character is the smallest code point reachable from it through single-code-point
 * upper/lower-case mappings (Go: the smallest rune of its `unicode.SimpleFold` orbit). It may fold a few more
 * characters together than Go does (the dotless ı with I): that only refuses more, never less.
 */

const cache = new Map<number, number>();

const single = (s: string): number | undefined => {
  const cp = s.codePointAt(0)!;
  return s.length === (cp > 0xffff ? 2 : 1) ? cp : undefined;
};

function foldCodePoint(cp: number): number {
  const hit = cache.get(cp);
  if (hit !== undefined) return hit;
  const seen = new Set<number>([cp]);
  const queue = [cp];
  let min = cp;
  while (queue.length > 0) {
    const c = String.fromCodePoint(queue.pop()!);
    for (const m of [c.toLowerCase(), c.toUpperCase()]) {
      const x = single(m);
      if (x === undefined || seen.has(x)) continue;
      seen.add(x);
      queue.push(x);
      if (x < min) min = x;
    }
  }
  for (const x of seen) if (cache.size < 65_536) cache.set(x, min);
  return min;
}

const ASCII = /^[\x00-\x7f]*$/;

/** The folded key: equal for two keys exactly when a case-insensitive (Go-style) decoder treats them alike. */
export function foldKey(key: string): string {
  if (ASCII.test(key)) return key.toUpperCase();
  let out = '';
  for (const ch of key) out += String.fromCodePoint(foldCodePoint(ch.codePointAt(0)!));
  return out;
}
