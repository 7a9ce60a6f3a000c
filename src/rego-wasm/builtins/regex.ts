import { RE2JS } from 're2js';
import { isString, toBigInt } from './exact-json.js';

/**
 * Regex builtins with RE2 semantics, as OPA has them from Go's regexp package: re2js is a JavaScript port of
 * RE2/J (itself a port of Go's regexp), so the syntax is Go's (Perl flags, \pL, [[:alpha:]], \Q…\E, (?P<n>…),
 * no look-around or backreferences) and matching is linear time (no catastrophic backtracking).
 */
interface Compiled {
  re: ReturnType<RE2JS['re2']>;
  /** Capture group names by index ('' for unnamed), as Go's SubexpNames. */
  names: string[];
}

const MAX_CACHED = 256;
const cache = new Map<string, Compiled | null>();

/** Compile like Go's regexp.Compile; undefined when the pattern is not valid RE2 syntax. */
export function compileRe2(pattern: string): Compiled | undefined {
  let c = cache.get(pattern);
  if (c === undefined) {
    try {
      c = compileWithNames(pattern);
    } catch (err) {
      // Go allows a group name to repeat (re2js does not): give the repeats unique names, keep the real ones.
      c = /duplicate capture group name/.test((err as Error).message) ? (compileRenamed(pattern) ?? null) : null;
    }
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
    cache.set(pattern, c);
  }
  return c ?? undefined;
}

function compileWithNames(pattern: string, realNames?: Map<string, string>): Compiled {
  const compiled = RE2JS.compile(pattern);
  const names = new Array<string>(compiled.groupCount() + 1).fill('');
  for (const [name, index] of Object.entries(compiled.namedGroups())) names[index] = realNames?.get(name) ?? name;
  return { re: compiled.re2(), names };
}

/** Rename repeated (?P<name> / (?<name> groups outside classes, escapes and \Q…\E, then compile. */
function compileRenamed(pattern: string): Compiled | undefined {
  const seen = new Map<string, number>();
  const realNames = new Map<string, string>();
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; ) {
    if (pattern.startsWith('\\Q', i)) {
      const end = pattern.indexOf('\\E', i + 2);
      const stop = end < 0 ? pattern.length : end + 2;
      out += pattern.slice(i, stop);
      i = stop;
      continue;
    }
    const ch = pattern[i]!;
    if (ch === '\\') {
      out += pattern.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (inClass) {
      if (pattern.startsWith('[:', i)) {
        const end = pattern.indexOf(':]', i + 2);
        if (end > 0) {
          out += pattern.slice(i, end + 2);
          i = end + 2;
          continue;
        }
      }
      if (ch === ']') inClass = false;
      out += ch;
      i++;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      out += ch;
      i++;
      // a ']' right after '[' or '[^' is a literal
      if (pattern[i] === '^') out += pattern[i++];
      if (pattern[i] === ']') out += pattern[i++];
      continue;
    }
    const m = /^\(\?P?<([A-Za-z0-9_]+)>/.exec(pattern.slice(i));
    if (m) {
      const n = (seen.get(m[1]!) ?? 0) + 1;
      seen.set(m[1]!, n);
      const name = n === 1 ? m[1]! : `${m[1]}__dup${n}`;
      if (n > 1) realNames.set(name, m[1]!);
      out += m[0].replace(`<${m[1]}>`, `<${name}>`);
      i += m[0].length;
      continue;
    }
    out += ch;
    i++;
  }
  try {
    return compileWithNames(out, realNames);
  } catch {
    return undefined;
  }
}

/** Go's `n int` operand: an integer within int64 (a JS number is enough to count matches). */
function intOperand(v: unknown): number | undefined {
  const n = toBigInt(v);
  if (n === undefined || n < -(2n ** 63n) || n >= 2n ** 63n) return undefined;
  return Number(n);
}

/** FindAllSubmatchIndex(s, n): flat [start, end, g1start, g1end, …] per match, -1 for unmatched groups. */
export function findAllIndex(c: Compiled, s: string, n: number): number[][] {
  return (c.re.findAllSubmatchIndex(s, n < 0 ? s.length + 1 : n) as number[][] | null) ?? [];
}

/** Go's Regexp.Expand: $name, ${name}, $1, ${1}, $$; a malformed reference is literal '$'. */
function expand(template: string, s: string, match: number[], names: string[]): string {
  let out = '';
  let t = template;
  for (;;) {
    const dollar = t.indexOf('$');
    if (dollar < 0) break;
    out += t.slice(0, dollar);
    t = t.slice(dollar + 1);
    if (t.startsWith('$')) {
      out += '$';
      t = t.slice(1);
      continue;
    }
    const ref = extractRef(t);
    if (!ref) {
      out += '$';
      continue;
    }
    t = ref.rest;
    const usable = (i: number) => i >= 0 && 2 * i + 1 < match.length && match[2 * i]! >= 0;
    // A number names its group; a name, the first group of that name that took part in the match.
    const index = ref.num >= 0 ? ref.num : names.findIndex((n, i) => i > 0 && n === ref.name && usable(i));
    if (usable(index)) out += s.slice(match[2 * index], match[2 * index + 1]);
  }
  return out + t;
}

const NAME_CHAR = /^[\p{L}\p{Nd}_]/u;

/** Go regexp's extract: a group name or number after '$', optionally in braces. */
function extractRef(str: string): { name: string; num: number; rest: string } | undefined {
  let s = str;
  const brace = s.startsWith('{');
  if (brace) s = s.slice(1);
  let i = 0;
  for (const ch of s) {
    if (!NAME_CHAR.test(ch)) break;
    i += ch.length;
  }
  if (i === 0) return undefined;
  const name = s.slice(0, i);
  if (brace) {
    if (s[i] !== '}') return undefined;
    i++;
  }
  let num = 0;
  for (const ch of name) {
    if (ch < '0' || ch > '9' || num >= 1e8) {
      num = -1;
      break;
    }
    num = num * 10 + (ch.charCodeAt(0) - 48);
  }
  if (name[0] === '0' && name.length > 1) num = -1;
  return { name, num, rest: s.slice(i) };
}

export const regexBuiltins = {
  'regex.find_n': (pattern: unknown, s: unknown, n: unknown) => {
    const count = intOperand(n);
    if (!isString(pattern) || !isString(s) || count === undefined) return undefined;
    const c = compileRe2(pattern);
    return c && findAllIndex(c, s, count).map((m) => s.slice(m[0], m[1]));
  },
  'regex.replace': (s: unknown, pattern: unknown, value: unknown) => {
    if (!isString(s) || !isString(pattern) || !isString(value)) return undefined;
    const c = compileRe2(pattern);
    if (!c) return undefined;
    let out = '';
    let last = 0;
    for (const m of findAllIndex(c, s, -1)) {
      out += s.slice(last, m[0]) + expand(value, s, m, c.names);
      last = m[1]!;
    }
    return out + s.slice(last);
  },
  /** Go's Regexp.Split(s, -1). */
  'regex.split': (pattern: unknown, s: unknown) => {
    if (!isString(pattern) || !isString(s)) return undefined;
    const c = compileRe2(pattern);
    if (!c) return undefined;
    if (pattern.length > 0 && s.length === 0) return [''];
    const out: string[] = [];
    let beg = 0;
    let end = 0;
    for (const m of findAllIndex(c, s, -1)) {
      end = m[0]!;
      if (m[1] !== 0) out.push(s.slice(beg, end));
      beg = m[1]!;
    }
    if (end !== s.length) out.push(s.slice(beg));
    return out;
  },
};
