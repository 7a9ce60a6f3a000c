import { type Document, isAlias, isMap, isScalar, isSeq, type Node, parseAllDocuments, Scalar } from 'yaml';
import { isString, RawNumber } from './exact-json.js';
import { goBase64Decode, goUtf8Decode } from './go-encoding.js';
import { formatFloat } from './go-float.js';

/**
 * yaml.unmarshal and yaml.is_valid as OPA 1.22 has them: go-yaml v3 parses every document (any error fails), the
 * first one is decoded into Go values with v3's scalar resolution (YAML 1.1 octals like 010, 0b/0o/0x, no yes/no
 * booleans), OPA folds duplicate keys (last wins) and repeated merge keys, then the value goes through
 * encoding/json. The `yaml` package only parses (failsafe schema: every scalar a string); resolution is ours.
 */
class YamlError extends Error {}

type GoValue = null | boolean | bigint | number | string | GoValue[] | Map<string, GoValue>;

const STR = 'tag:yaml.org,2002:str';
const INT = 'tag:yaml.org,2002:int';
const FLOAT = 'tag:yaml.org,2002:float';
const BOOL = 'tag:yaml.org,2002:bool';
const NULL = 'tag:yaml.org,2002:null';
const BINARY = 'tag:yaml.org,2002:binary';
const MERGE = 'tag:yaml.org,2002:merge';
const TIMESTAMP = 'tag:yaml.org,2002:timestamp';
const RESOLVABLE = new Set(['', STR, BOOL, NULL, INT, FLOAT, TIMESTAMP]);

const RESOLVE_MAP: Record<string, [string, GoValue]> = {
  true: [BOOL, true],
  True: [BOOL, true],
  TRUE: [BOOL, true],
  false: [BOOL, false],
  False: [BOOL, false],
  FALSE: [BOOL, false],
  '': [NULL, null],
  '~': [NULL, null],
  null: [NULL, null],
  Null: [NULL, null],
  NULL: [NULL, null],
  '.nan': [FLOAT, NaN],
  '.NaN': [FLOAT, NaN],
  '.NAN': [FLOAT, NaN],
  '.inf': [FLOAT, Infinity],
  '.Inf': [FLOAT, Infinity],
  '.INF': [FLOAT, Infinity],
  '+.inf': [FLOAT, Infinity],
  '+.Inf': [FLOAT, Infinity],
  '+.INF': [FLOAT, Infinity],
  '-.inf': [FLOAT, -Infinity],
  '-.Inf': [FLOAT, -Infinity],
  '-.INF': [FLOAT, -Infinity],
  '<<': [MERGE, '<<'],
};

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** strconv.ParseInt(s, base, 64) / ParseUint: base 0 reads 0x, 0o, 0b and a leading 0 (octal). */
function goParseInt(s: string, base: number, unsigned: boolean): bigint | undefined {
  let t = s;
  let neg = false;
  if (!unsigned && (t[0] === '+' || t[0] === '-')) {
    neg = t[0] === '-';
    t = t.slice(1);
  }
  let b = base;
  if (b === 0) {
    b = 10;
    if (t[0] === '0') {
      if (t.length >= 3 && /[xX]/.test(t[1]!)) [b, t] = [16, t.slice(2)];
      else if (t.length >= 3 && /[oO]/.test(t[1]!)) [b, t] = [8, t.slice(2)];
      else if (t.length >= 3 && /[bB]/.test(t[1]!)) [b, t] = [2, t.slice(2)];
      else [b, t] = [8, t.slice(1) || '0'];
    }
  }
  const digits = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[b as 2 | 8 | 10 | 16];
  if (!t || !digits.test(t)) return undefined;
  let v = 0n;
  for (const ch of t) v = v * BigInt(b) + BigInt(parseInt(ch, 16));
  if (neg) v = -v;
  if (unsigned) return v <= UINT64_MAX ? v : undefined;
  return v >= INT64_MIN && v <= INT64_MAX ? v : undefined;
}

const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** strconv.ParseFloat for the texts v3 hands it (its own float syntax, or '.'-led ones): undefined when out of range. */
function goParseFloat(s: string): number | undefined {
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

/** go-yaml v3's resolve(tag, in). */
function resolve(tag: string, input: string): [string, GoValue] {
  if (!RESOLVABLE.has(tag)) return [tag, input];
  const fail = (rtag: string, out: GoValue): [string, GoValue] => {
    if (tag === '' || tag === rtag || tag === STR) return [rtag, out];
    if (tag === FLOAT && rtag === INT && typeof out === 'bigint') return [FLOAT, Number(out)];
    throw new YamlError(`cannot decode ${input} as ${tag}`);
  };
  const c = input[0];
  const hint =
    input === '' ? 'N' : c === '+' || c === '-' ? 'S' : c! >= '0' && c! <= '9' ? 'D' : 'yYnNtTfFoO~'.includes(c!) ? 'M' : c === '.' ? '.' : '';
  if (hint !== '' && tag !== STR) {
    const item = Object.hasOwn(RESOLVE_MAP, input) ? RESOLVE_MAP[input] : undefined;
    if (item) return fail(item[0], item[1]);
    if (hint === '.') {
      const f = goParseFloat(input);
      if (f !== undefined) return fail(FLOAT, f);
    } else if (hint === 'D' || hint === 'S') {
      const plain = input.replaceAll('_', '');
      const i = goParseInt(plain, 0, false);
      if (i !== undefined) return fail(INT, i);
      const u = goParseInt(plain, 0, true);
      if (u !== undefined) return fail(INT, u);
      if (YAML_FLOAT.test(plain)) {
        const f = goParseFloat(plain);
        if (f !== undefined) return fail(FLOAT, f);
      }
      if (plain.startsWith('0b')) {
        const v = goParseInt(plain.slice(2), 2, false) ?? goParseInt(plain.slice(2), 2, true);
        if (v !== undefined) return fail(INT, v);
      } else if (plain.startsWith('-0b')) {
        const v = goParseInt(`-${plain.slice(3)}`, 2, false);
        if (v !== undefined) return fail(INT, v);
      }
      if (plain.startsWith('0o')) {
        const v = goParseInt(plain.slice(2), 8, false) ?? goParseInt(plain.slice(2), 8, true);
        if (v !== undefined) return fail(INT, v);
      } else if (plain.startsWith('-0o')) {
        const v = goParseInt(`-${plain.slice(3)}`, 8, false);
        if (v !== undefined) return fail(INT, v);
      }
    }
  }
  return fail(STR, input);
}

/** keyString: how OPA names a non-string mapping key in JSON (floats as float32 %g, as go-yaml writes them). */
function keyString(k: GoValue): string | undefined {
  if (typeof k === 'string') return k;
  if (typeof k === 'bigint') return k.toString();
  if (typeof k === 'boolean') return String(k);
  if (typeof k === 'number') {
    if (Number.isNaN(k)) return '.nan';
    if (k === Infinity) return '.inf';
    if (k === -Infinity) return '-.inf';
    const f = Math.fround(k);
    let p = 1;
    while (p < 9 && Math.fround(Number(f.toPrecision(p))) !== f) p++;
    return formatFloat(Number(f.toPrecision(p)), 'g', -1);
  }
  return undefined;
}

class Decoder {
  private readonly active = new Set<Node>();
  constructor(private readonly doc: Document) {}

  scalar(node: Scalar): GoValue {
    const explicit = node.tag;
    const value = node.value;
    const text = typeof value === 'string' ? value : String(node.source ?? value ?? '');
    // go-yaml v3 resolves a plain scalar tagged with the non-specific '!' as if untagged.
    const tag = explicit === '!' ? (node.type === Scalar.PLAIN ? '' : STR) : (explicit ?? (node.type === Scalar.PLAIN ? '' : STR));
    const [rtag, out] = resolve(tag, text);
    if (rtag === BINARY || explicit === BINARY) {
      const bytes = goBase64Decode(text, 'std', true);
      if (!bytes) throw new YamlError('!!binary value contains invalid base64 data');
      return goUtf8Decode(bytes);
    }
    if (rtag === TIMESTAMP) throw new YamlError('explicit !!timestamp is not supported');
    return out;
  }

  node(n: unknown): GoValue {
    if (n === null || n === undefined) return null;
    if (isAlias(n)) {
      const target = n.resolve(this.doc);
      if (!target) throw new YamlError('unknown anchor');
      if (this.active.has(target as Node)) throw new YamlError('anchor refers to itself');
      return this.node(target);
    }
    this.active.add(n as Node);
    try {
      if (isScalar(n)) return this.scalar(n);
      if (isSeq(n)) return n.items.map((x) => this.node(x));
      if (isMap(n)) return this.mapping(n.items as { key: unknown; value: unknown }[]);
      throw new YamlError('unsupported node');
    } finally {
      this.active.delete(n as Node);
    }
  }

  private isMergeKey(k: unknown): boolean {
    return isScalar(k) && ((k.tag === undefined && k.type === Scalar.PLAIN && k.value === '<<') || k.tag === MERGE);
  }

  mapping(items: { key: unknown; value: unknown }[]): Map<string, GoValue> {
    const out = new Map<string, GoValue>();
    const merges: unknown[] = [];
    for (const { key, value } of items) {
      if (this.isMergeKey(key)) {
        if (isSeq(value)) merges.push(...value.items);
        else merges.push(value);
        continue;
      }
      if (isMap(key) || isSeq(key)) throw new YamlError('invalid map key');
      const k = keyString(this.node(key));
      if (k === undefined) throw new YamlError('unsupported map key');
      out.set(k, this.node(value));
    }
    for (const m of merges) {
      const target = isAlias(m) ? m.resolve(this.doc) : m;
      if (!isMap(target)) throw new YamlError('map merge requires map or sequence of maps as the value');
      for (const [k, v] of this.mapping(target.items as { key: unknown; value: unknown }[])) if (!out.has(k)) out.set(k, v);
    }
    return out;
  }
}

/** The first document's value as encoding/json would write it, or a YamlError. */
function unmarshal(s: string): unknown {
  const docs = parseAllDocuments(s, { schema: 'failsafe', customTags: [], uniqueKeys: false, merge: false, strict: false });
  const list = Array.isArray(docs) ? docs : [];
  if (!Array.isArray(docs) && (docs as { errors?: unknown[] }).errors?.length) throw new YamlError('invalid YAML');
  for (const d of list) {
    if (d.errors.length > 0) throw new YamlError(d.errors[0]!.message);
    // libyaml (go-yaml v3) knows only %YAML 1.1: any other version is "found incompatible YAML document".
    const directive = d.directives?.yaml as { explicit?: boolean; version?: string } | undefined;
    if (directive?.explicit && directive.version !== '1.1') throw new YamlError('found incompatible YAML document');
  }
  const first = list[0];
  if (!first) return null;
  return toJson(new Decoder(first).node(first.contents));
}

/** encoding/json of the decoded value: NaN and infinities are errors, -0 stays -0. */
function toJson(v: GoValue): unknown {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new YamlError('json: unsupported value');
    return Object.is(v, -0) ? new RawNumber('-0') : v;
  }
  if (Array.isArray(v)) return v.map(toJson);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, toJson(x)]));
  return v;
}

function attempt(s: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: unmarshal(s) };
  } catch (err) {
    if (err instanceof YamlError || err instanceof Error) return { ok: false };
    throw err;
  }
}

export const yamlBuiltins = {
  'yaml.unmarshal': (s: unknown) => {
    if (!isString(s)) return undefined;
    const r = attempt(s);
    return r.ok ? r.value : undefined;
  },
  'yaml.is_valid': (s: unknown) => isString(s) && attempt(s).ok,
};

/** go-yaml v3's parseTimestamp: the layouts it tries (2006-1-2, with 15:4:5.999999999 and a zone). */
function isTimestamp(s: string): boolean {
  const m =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d+)?(Z|[+-]\d{2}:\d{2}))|(?: +(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d+)?))?$/.exec(
      s,
    );
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  if (day > days) return false;
  const [h, mi, se] = m[4] !== undefined ? [m[4], m[5], m[6]] : [m[8], m[9], m[10]];
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || Number(se) > 59)) return false;
  if (m[7] && m[7] !== 'Z' && (Number(m[7].slice(1, 3)) > 24 || Number(m[7].slice(4, 6)) > 60)) return false;
  return true;
}

/** How go-yaml v3 reads an untagged plain scalar: its kind and value (for yaml.marshal's quoting and numbers). */
export function resolveYamlScalar(s: string): ['int' | 'float' | 'str' | 'bool' | 'null' | 'merge' | 'timestamp', GoValue] {
  if (/^\d{4}-/.test(s) && isTimestamp(s)) return ['timestamp', s];
  const [tag, out] = resolve('', s);
  const short = tag.replace('tag:yaml.org,2002:', '') as 'int' | 'float' | 'str' | 'bool' | 'null' | 'merge';
  return [short, out];
}

/** yaml.v3's key order: runs of digits compare as numbers, letters before other characters (keyList.Less). */
export function yamlKeyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  const isDigit = (c: string) => /^\p{Nd}$/u.test(c);
  const isLetter = (c: string) => /^\p{L}$/u.test(c);
  let digits = false;
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) {
      digits = isDigit(ar[i]!);
      continue;
    }
    const al = isLetter(ar[i]!);
    const bl = isLetter(br[i]!);
    if (al && bl) return ar[i]!.codePointAt(0)! < br[i]!.codePointAt(0)!;
    if (al || bl) return digits ? al : bl;
    let an = 0n;
    let bn = 0n;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]!); j--) {
        if (ar[j] !== '0') {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    for (; ai < ar.length && isDigit(ar[ai]!); ai++) an = BigInt.asIntN(64, an * 10n + BigInt(ar[ai]!.codePointAt(0)! - 48));
    for (; bi < br.length && isDigit(br[bi]!); bi++) bn = BigInt.asIntN(64, bn * 10n + BigInt(br[bi]!.codePointAt(0)! - 48));
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ar[i]!.codePointAt(0)! < br[i]!.codePointAt(0)!;
  }
  return ar.length < br.length;
}
