/**
 * Rego values as the WASM module prints them (opa_value_dump): JSON plus sets (`{1, 2}`, `set()`) and non-string
 * object keys. Host builtins normally see plain JSON (sets as sorted arrays, as OPA's ast.JSON gives them); sprintf
 * needs the values themselves, printed as OPA's Value.String() prints them.
 */
export type RegoValue =
  | { t: 'null' }
  | { t: 'bool'; v: boolean }
  | { t: 'num'; text: string }
  | { t: 'str'; v: string }
  | { t: 'arr'; items: RegoValue[] }
  | { t: 'obj'; entries: [RegoValue, RegoValue][] }
  | { t: 'set'; items: RegoValue[] };

export function parseRegoValue(text: string): RegoValue {
  let i = 0;
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\t' || text[i] === '\r')) i++;
  };
  const fail = (): never => {
    throw new Error(`cannot read the value dumped by the policy at ${i}`);
  };
  const value = (): RegoValue => {
    ws();
    const c = text[i];
    if (c === '"') {
      const start = i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      return { t: 'str', v: JSON.parse(text.slice(start, i)) as string };
    }
    if (c === '[') {
      i++;
      const items: RegoValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { t: 'arr', items };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return { t: 'arr', items };
        } else fail();
      }
    }
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return { t: 'obj', entries: [] };
      }
      const first = value();
      ws();
      if (text[i] === ':') {
        const entries: [RegoValue, RegoValue][] = [];
        let key = first;
        for (;;) {
          i++; // ':'
          entries.push([key, value()]);
          ws();
          if (text[i] === '}') {
            i++;
            return { t: 'obj', entries };
          }
          if (text[i] !== ',') fail();
          i++;
          key = value();
          ws();
          if (text[i] !== ':') fail();
        }
      }
      const items = [first];
      for (;;) {
        if (text[i] === '}') {
          i++;
          return { t: 'set', items };
        }
        if (text[i] !== ',') fail();
        i++;
        items.push(value());
        ws();
      }
    }
    if (text.startsWith('set()', i)) {
      i += 5;
      return { t: 'set', items: [] };
    }
    if (text.startsWith('true', i)) {
      i += 4;
      return { t: 'bool', v: true };
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return { t: 'bool', v: false };
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return { t: 'null' };
    }
    const m = /^-?[0-9][0-9.eE+-]*/.exec(text.slice(i, i + 4096)) ?? /^-?[0-9][0-9.eE+-]*/.exec(text.slice(i));
    if (!m) return fail();
    i += m[0].length;
    return { t: 'num', text: m[0] };
  };
  const v = value();
  ws();
  if (i !== text.length) fail();
  return v;
}

const RANK: Record<RegoValue['t'], number> = { null: 0, bool: 1, num: 2, str: 3, arr: 4, obj: 5, set: 6 };

/** Exact comparison of two decimal texts. */
function compareNumbers(a: string, b: string): number {
  const fa = toFraction(a);
  const fb = toFraction(b);
  const l = fa.n * fb.d;
  const r = fb.n * fa.d;
  return l < r ? -1 : l > r ? 1 : 0;
}

function toFraction(text: string): { n: bigint; d: bigint } {
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return { n: 0n, d: 1n };
  const frac = m[3] ?? '';
  let n = BigInt((m[2] || '0') + frac);
  let d = 10n ** BigInt(frac.length);
  const exp = Number(m[4] ?? 0);
  if (exp >= 0) n *= 10n ** BigInt(Math.min(exp, 100000));
  else d *= 10n ** BigInt(Math.min(-exp, 100000));
  return { n: m[1] ? -n : n, d };
}

/** Code point order (Go compares strings bytewise, which is the same order). */
function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const x = [...a];
  const y = [...b];
  for (let k = 0; k < Math.min(x.length, y.length); k++) {
    const d = x[k]!.codePointAt(0)! - y[k]!.codePointAt(0)!;
    if (d) return d;
  }
  return x.length - y.length;
}

/** OPA's ast.Compare: type order null < boolean < number < string < array < object < set, then by value. */
export function compareRego(a: RegoValue, b: RegoValue): number {
  if (a.t !== b.t) return RANK[a.t] - RANK[b.t];
  switch (a.t) {
    case 'null':
      return 0;
    case 'bool':
      return Number(a.v) - Number((b as typeof a).v);
    case 'num':
      return compareNumbers(a.text, (b as typeof a).text);
    case 'str':
      return compareStrings(a.v, (b as typeof a).v);
    case 'arr':
      return compareLists(a.items, (b as typeof a).items);
    case 'set':
      return compareLists(sorted(a.items), sorted((b as typeof a).items));
    case 'obj': {
      const x = sortedEntries(a.entries);
      const y = sortedEntries((b as typeof a).entries);
      for (let k = 0; k < Math.min(x.length, y.length); k++) {
        const c = compareRego(x[k]![0], y[k]![0]) || compareRego(x[k]![1], y[k]![1]);
        if (c) return c;
      }
      return x.length - y.length;
    }
  }
}

function compareLists(x: RegoValue[], y: RegoValue[]): number {
  for (let k = 0; k < Math.min(x.length, y.length); k++) {
    const c = compareRego(x[k]!, y[k]!);
    if (c) return c;
  }
  return x.length - y.length;
}

export const sorted = (items: RegoValue[]): RegoValue[] => [...items].sort(compareRego);
const sortedEntries = (entries: [RegoValue, RegoValue][]) => [...entries].sort((p, q) => compareRego(p[0], q[0]));

/** A Rego value as host builtins take JSON: sets become sorted arrays; integers beyond 2^53 become BigInt. */
export function toJson(v: RegoValue): unknown {
  switch (v.t) {
    case 'null':
      return null;
    case 'bool':
      return v.v;
    case 'num': {
      if (/^-?\d+$/.test(v.text)) {
        const n = Number(v.text);
        return Number.isSafeInteger(n) ? n : BigInt(v.text);
      }
      return Number(v.text);
    }
    case 'str':
      return v.v;
    case 'arr':
      return v.items.map(toJson);
    case 'set':
      return sorted(v.items).map(toJson);
    case 'obj': {
      const out: Record<string, unknown> = {};
      for (const [k, val] of sortedEntries(v.entries)) out[k.t === 'str' ? k.v : regoString(k)] = toJson(val);
      return out;
    }
  }
}

/** OPA's Value.String(): Rego syntax with Go-quoted strings, sorted object keys and set members. */
export function regoString(v: RegoValue, quote: (s: string) => string = JSON.stringify): string {
  switch (v.t) {
    case 'null':
      return 'null';
    case 'bool':
      return String(v.v);
    case 'num':
      return v.text;
    case 'str':
      return quote(v.v);
    case 'arr':
      return `[${v.items.map((x) => regoString(x, quote)).join(', ')}]`;
    case 'set':
      return v.items.length
        ? `{${sorted(v.items)
            .map((x) => regoString(x, quote))
            .join(', ')}}`
        : 'set()';
    case 'obj':
      return v.entries.length
        ? `{${sortedEntries(v.entries)
            .map(([k, x]) => `${regoString(k, quote)}: ${regoString(x, quote)}`)
            .join(', ')}}`
        : '{}';
  }
}
