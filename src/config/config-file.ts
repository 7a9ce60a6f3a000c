import { readFileSync } from 'node:fs';
import { closest, distance } from 'fastest-levenshtein';
import { isMap, isScalar, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { fsCause } from '../shared/fs-cause.js';

/** A config file read and parsed: its mapping, and where each key (dotted path) was written, as `file:line:col`. */
export interface ConfigFile {
  value?: Record<string, unknown>;
  /** Dotted key → `file:line:col` of the key. */
  at: Map<string, string>;
  problems: string[];
}

/**
 * Read the YAML (or JSON) config file `file`, named by `from` (`--config x.yaml`, `MCP_AUTHZ_CONFIG=x.yaml`). Each
 * problem is one line that names the file (and `:line:col` where the file says something wrong) and what to do.
 */
export function readConfigFile(file: string, from: string): ConfigFile {
  const at = new Map<string, string>();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what =
      code === 'ENOENT'
        ? `the config file ${file} does not exist: give the path of a YAML config file (docs/configuration.md), or leave out ${from.split(/[ =]/)[0]} to run on the defaults`
        : code === 'EISDIR'
          ? `${file} is a directory: give the path of a YAML config file (docs/configuration.md)`
          : `cannot read the config file ${file}: ${fsCause(err)}`;
    return { at, problems: [`${from}: ${what}`] };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, lineCounter: lines, prettyErrors: false });
  const where = (offset: number): string => {
    const p = lines.linePos(offset);
    return `${file}:${p.line}:${p.col}`;
  };
  if (doc.errors.length > 0) {
    // The first error is the one to fix; what follows it is often the same mistake seen again.
    const e = doc.errors[0]!;
    if (e.code === 'DUPLICATE_KEY') {
      const key = (/^["']?([^"':\n]*)/.exec(text.slice(e.pos[0]))?.[1] ?? '').trim();
      return { at, problems: [`${where(e.pos[0])}: ${key || 'a key'} is set twice in the same mapping (keep one)`] };
    }
    return { at, problems: [`${where(e.pos[0])}: YAML syntax error: ${e.message} (fix the file; docs/configuration.md shows the format)`] };
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return { at, problems: [] };
  if (typeof value !== 'object' || Array.isArray(value))
    return {
      at,
      problems: [
        `${where(doc.contents?.range?.[0] ?? 0)}: the configuration must be a mapping of keys (grpc_addr: …), not a ${Array.isArray(value) ? 'list' : typeof value}`,
      ],
    };
  const walk = (node: YamlNode | null | undefined, prefix: string): void => {
    if (!isMap(node)) return;
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined) continue;
      const path = `${prefix}${key}`;
      const range = (pair.key as YamlNode).range;
      if (range) at.set(path, where(range[0]));
      walk(pair.value as YamlNode | null, `${path}.`);
    }
  };
  walk(doc.contents as YamlNode | null, '');
  return { value: value as Record<string, unknown>, at, problems: [] };
}

/** The keys an object schema accepts at `path` (through optional, default, pipe and the like); none when not an object. */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s = unwrap(schema);
  for (const k of path) {
    const shape = objectShape(s);
    if (!shape || !(String(k) in shape)) return [];
    s = unwrap(shape[String(k)]!);
  }
  return Object.keys(objectShape(s) ?? {});
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
}
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    const d = defOf(s);
    const next = d.innerType ?? (d.type === 'pipe' ? d.in : undefined);
    if (!next) return s;
    s = next;
  }
  return s;
}
const objectShape = (s: z.ZodType): Record<string, z.ZodType> | undefined => {
  const d = defOf(s);
  return d.type === 'object' ? d.shape : undefined;
};

/** Every key path of an object schema, dotted (`body.max_depth`), sections included. */
export function keyPaths(schema: z.ZodType, prefix = ''): string[] {
  const shape = objectShape(unwrap(schema));
  if (!shape) return [];
  return Object.entries(shape).flatMap(([k, v]) => [`${prefix}${k}`, ...keyPaths(v, `${prefix}${k}.`)]);
}

/**
 * What to say about an unknown key `key` among `known` (the keys at its place, under `prefix`): ` (did you mean
 * grpc_addr?)`; else the key of that name in another section (`max_depth` at the top: `body.max_depth`); else the
 * keys allowed there. `all`: every key path (keyPaths).
 */
export function unknownKeyHint(key: string, known: readonly string[], prefix: string, all: readonly string[] = []): string {
  if (known.length === 0) return '';
  const best = closest(key, [...known]);
  const limit = Math.max(2, Math.floor(best.length / 3));
  if (distance(key, best) <= limit || best.startsWith(key) || key.startsWith(best)) return ` (did you mean ${prefix}${best}?)`;
  const elsewhere = all.filter((p) => p.endsWith(`.${key}`));
  if (elsewhere.length > 0 && elsewhere.length <= 3) return ` (did you mean ${elsewhere.join(' or ')}? it belongs in that section)`;
  return known.length <= 16 ? ` (the keys here: ${known.join(', ')})` : ' (docs/configuration.md lists the keys)';
}
