import { formatFloat } from './go-float.js';
import { goJsonMarshal, goJsonString } from './go-json.js';
import { type RegoValue, sorted } from './rego-value.js';
import { resolveYamlScalar, yamlKeyLess } from './yaml.js';

/**
 * yaml.marshal as OPA 1.22 writes it: the value goes to JSON (sets as sorted arrays), is read back by go-yaml v3
 * (numbers become int, uint64 or float64) and is written by go-yaml v3's emitter at 2-space indentation. This is a
 * port of the emitter's decisions for such documents (yaml.v3 encode.go stringv/floatv, emitterc.go
 * analyze_scalar/select_scalar_style and the scalar writers); lines are never folded (OPA's encoder has no width).
 */
type Y =
  | { k: 'null' }
  | { k: 'bool'; v: boolean }
  | { k: 'int'; text: string }
  | { k: 'float'; v: number }
  | { k: 'str'; v: string }
  | { k: 'seq'; items: Y[] }
  | { k: 'map'; entries: [string, Y][] };

class Unrepresentable extends Error {}

/**
 * OPA hands go-yaml the value as JSON text, which it parses as YAML: a raw U+0085 (NEL, which encoding/json does not
 * escape) is a line break there and folds like one (a single break and the spaces around it become a space,
 * n breaks become n-1 newlines).
 */
const foldNel = (s: string): string =>
  s.replace(/ *(?:\u0085 *)+/g, (run) => {
    const breaks = (run.match(/\u0085/g) ?? []).length;
    return breaks === 0 ? run : breaks === 1 ? ' ' : '\n'.repeat(breaks - 1);
  });

/** A key go-yaml cannot read back from the JSON: a line break in it, or longer than YAML's 1024-character simple key. */
function checkKey(k: string): string {
  if (k.includes('\u0085') || [...goJsonString(k)].length > 1024) throw new Unrepresentable(k);
  return k;
}

function fromRego(v: RegoValue): Y {
  switch (v.t) {
    case 'null':
      return { k: 'null' };
    case 'bool':
      return { k: 'bool', v: v.v };
    case 'num': {
      const [tag, out] = resolveYamlScalar(v.text);
      if (tag === 'int') return { k: 'int', text: String(out) };
      if (tag === 'float') return { k: 'float', v: out as number };
      return { k: 'str', v: v.text };
    }
    case 'str':
      return { k: 'str', v: foldNel(v.v) };
    case 'arr':
      return { k: 'seq', items: v.items.map(fromRego) };
    case 'set':
      return { k: 'seq', items: sorted(v.items).map(fromRego) };
    case 'obj': {
      const entries = new Map<string, Y>();
      for (const [key, val] of v.entries) entries.set(checkKey(key.t === 'str' ? key.v : goJsonMarshal(key)), fromRego(val));
      const keys = [...entries.keys()].sort((a, b) => (yamlKeyLess(a, b) ? -1 : yamlKeyLess(b, a) ? 1 : 0));
      return { k: 'map', entries: keys.map((key) => [key, entries.get(key)!]) };
    }
  }
}

const isBreak = (c: number) => c === 0x0a || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029;
/** libyaml's is_printable, by code point. */
const isPrintable = (c: number) =>
  c === 0x0a || (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff);
const isBlank = (ch: string | undefined) => ch === ' ' || ch === '\t';

interface Analysis {
  multiline: boolean;
  blockPlain: boolean;
  singleQuoted: boolean;
  block: boolean;
}

function analyze(value: string): Analysis {
  if (value === '') return { multiline: false, blockPlain: true, singleQuoted: true, block: false };
  const chars = [...value];
  let blockIndicators = false;
  let lineBreaks = false;
  let special = false;
  let tabs = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  if (value.startsWith('---') || value.startsWith('...')) blockIndicators = true;
  let precededByWhitespace = true;
  chars.forEach((ch, i) => {
    const c = ch.codePointAt(0)!;
    const next = chars[i + 1];
    const followedByWhitespace = next === undefined || isBlank(next) || isBreak(next.codePointAt(0)!);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      else if ((ch === '?' || ch === ':' || ch === '-') && followedByWhitespace) blockIndicators = true;
    } else if (ch === ':' && followedByWhitespace) blockIndicators = true;
    else if (ch === '#' && precededByWhitespace) blockIndicators = true;
    if (ch === '\t') tabs = true;
    else if (!isPrintable(c)) special = true;
    if (ch === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlank(ch) || isBreak(c);
  });
  const a: Analysis = { multiline: lineBreaks, blockPlain: true, singleQuoted: true, block: true };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) a.blockPlain = false;
  if (trailingSpace) a.block = false;
  if (breakSpace) [a.blockPlain, a.singleQuoted] = [false, false];
  if (spaceBreak || tabs || special) [a.blockPlain, a.singleQuoted] = [false, false];
  if (spaceBreak || special) a.block = false;
  if (lineBreaks) a.blockPlain = false;
  if (blockIndicators) a.blockPlain = false;
  return a;
}

const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const OLD_BOOLS = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF']);

function doubleQuoted(value: string): string {
  let out = '"';
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (!isPrintable(c) || c === 0xfeff || isBreak(c) || ch === '"' || ch === '\\') {
      const named: Record<number, string> = {
        0: '0',
        7: 'a',
        8: 'b',
        9: 't',
        10: 'n',
        11: 'v',
        12: 'f',
        13: 'r',
        0x1b: 'e',
        0x22: '"',
        0x5c: '\\',
        0x85: 'N',
        0xa0: '_',
        0x2028: 'L',
        0x2029: 'P',
      };
      if (named[c] !== undefined) out += `\\${named[c]}`;
      else if (c <= 0xff) out += `\\x${c.toString(16).toUpperCase().padStart(2, '0')}`;
      else if (c <= 0xffff) out += `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
      else out += `\\U${c.toString(16).toUpperCase().padStart(8, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

/** A literal block scalar: indicator, hints, then the lines at `indent`. */
function literal(value: string, indent: number): string {
  const chars = [...value];
  let hints = '';
  if (chars[0] === ' ' || isBreak(chars[0]!.codePointAt(0)!)) hints += '2';
  const last = chars[chars.length - 1];
  if (last === undefined || !isBreak(last.codePointAt(0)!)) hints += '-';
  else if (chars.length === 1 || isBreak(chars[chars.length - 2]!.codePointAt(0)!)) hints += '+';
  let out = `|${hints}\n`;
  let atLineStart = true;
  for (const ch of chars) {
    if (isBreak(ch.codePointAt(0)!)) {
      out += ch === '\r' || ch === '\n' ? '\n' : ch;
      atLineStart = true;
    } else {
      if (atLineStart) out += ' '.repeat(indent);
      out += ch;
      atLineStart = false;
    }
  }
  return out.endsWith('\n') ? out : `${out}\n`;
}

/** A string scalar as the emitter writes it; `key` is the simple-key context. Returns text and whether it is a block. */
function stringScalar(s: string, key: boolean, indent: number): { text: string; block: boolean } {
  const [tag] = resolveYamlScalar(s);
  const canUsePlain = tag === 'str' && !BASE60_FLOAT.test(s) && !OLD_BOOLS.has(s);
  let style: 'plain' | 'single' | 'double' | 'literal' = s.includes('\n') ? 'literal' : canUsePlain ? 'plain' : 'double';
  const a = analyze(s);
  if (key && a.multiline) style = 'double';
  if (style === 'plain') {
    if (!a.blockPlain) style = 'single';
    if (s === '' && key) style = 'single';
  }
  if (style === 'single' && !a.singleQuoted) style = 'double';
  if (style === 'literal' && (!a.block || key)) style = 'double';
  switch (style) {
    case 'plain':
      return { text: s, block: false };
    case 'single':
      return { text: `'${s.replaceAll("'", "''")}'`, block: false };
    case 'double':
      return { text: doubleQuoted(s), block: false };
    case 'literal':
      return { text: literal(s, indent), block: true };
  }
}

function scalar(y: Y, key: boolean, indent: number): { text: string; block: boolean } {
  switch (y.k) {
    case 'null':
      return { text: 'null', block: false };
    case 'bool':
      return { text: String(y.v), block: false };
    case 'int':
      return { text: y.text, block: false };
    case 'float':
      return { text: Number.isNaN(y.v) ? '.nan' : y.v === Infinity ? '.inf' : y.v === -Infinity ? '-.inf' : formatFloat(y.v, 'g', -1), block: false };
    case 'str':
      return stringScalar(y.v, key, indent);
    default:
      return { text: y.k === 'seq' ? '[]' : '{}', block: false };
  }
}

const isCollection = (y: Y) => (y.k === 'seq' && y.items.length > 0) || (y.k === 'map' && y.entries.length > 0);

/** Lines of a node that starts after "key:" or "- " (or at the root); `indent` is where its own block lines go. */
function node(y: Y, indent: number): string {
  if (y.k === 'map' && y.entries.length > 0) return mapping(y.entries, indent);
  if (y.k === 'seq' && y.items.length > 0) return sequence(y.items, indent);
  const s = scalar(y, false, indent);
  return `${s.text}${s.block ? '' : '\n'}`;
}

function mapping(entries: [string, Y][], indent: number): string {
  let out = '';
  entries.forEach(([k, v], i) => {
    const pad = i === 0 ? '' : ' '.repeat(indent);
    const keyText = stringScalar(k, true, indent);
    const simple = !analyze(k).multiline && new TextEncoder().encode(k).length <= 128;
    if (simple) out += `${pad}${keyText.text}:`;
    else {
      const complex = stringScalar(k, false, indent + 2);
      out += `${pad}? ${complex.text}${complex.block ? '' : '\n'}${' '.repeat(indent)}:`;
    }
    if (isCollection(v) && !simple) out += ` ${node(v, indent + 2)}`;
    else if (isCollection(v)) out += `\n${' '.repeat(indent + 2)}${node(v, indent + 2)}`;
    else {
      const s = scalar(v, false, indent + 2);
      out += ` ${s.text}${s.block ? '' : '\n'}`;
    }
  });
  return out;
}

function sequence(items: Y[], indent: number): string {
  let out = '';
  items.forEach((v, i) => {
    out += `${i === 0 ? '' : ' '.repeat(indent)}- `;
    if (isCollection(v)) out += node(v, indent + 2);
    else {
      const s = scalar(v, false, indent + 2);
      out += `${s.text}${s.block ? '' : '\n'}`;
    }
  });
  return out;
}

export const yamlMarshal = Object.assign(
  (v: RegoValue): string | undefined => {
    let y: Y;
    try {
      y = fromRego(v);
    } catch (err) {
      if (err instanceof Unrepresentable) return undefined;
      throw err;
    }
    if (isCollection(y)) return node(y, 0);
    const s = scalar(y, false, 2);
    return s.block ? s.text : `${s.text}\n`;
  },
  { regoValues: true },
);
