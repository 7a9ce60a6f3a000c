import { goCompare, toWellFormed } from './go-encoding.js';
import { type RegoValue, sorted } from './rego-value.js';

/** Go's encoding/json string escaping: HTML-safe (<, >, &), U+2028/U+2029 escaped, \b \f \n \r \t by name. */
export function goJsonString(s: string): string {
  let out = '"';
  for (const ch of toWellFormed(s)) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
    }
    if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * json.Marshal of OPA's ast.JSON(value): object keys sorted bytewise (a non-string key becomes its JSON text), sets
 * as sorted arrays, numbers as OPA holds their text.
 */
export function goJsonMarshal(v: RegoValue): string {
  switch (v.t) {
    case 'null':
      return 'null';
    case 'bool':
      return String(v.v);
    case 'num':
      return v.text;
    case 'str':
      return goJsonString(v.v);
    case 'arr':
      return `[${v.items.map(goJsonMarshal).join(',')}]`;
    case 'set':
      return `[${sorted(v.items).map(goJsonMarshal).join(',')}]`;
    case 'obj': {
      const entries = new Map<string, string>();
      for (const [k, val] of v.entries) entries.set(k.t === 'str' ? k.v : goJsonMarshal(k), goJsonMarshal(val));
      const keys = [...entries.keys()].sort(goCompare);
      return `{${keys.map((k) => `${goJsonString(k)}:${entries.get(k)}`).join(',')}}`;
    }
  }
}
