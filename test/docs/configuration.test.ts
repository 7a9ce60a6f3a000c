import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configSchema } from '../../src/config/schema.js';
import { CONFIG_FLAG, SETTINGS } from '../../src/config/settings.js';
import { codeSpans, readDoc, tableRows } from './markdown.js';

// docs/configuration.md has one table of every configuration key. It is pinned here against the zod schema (keys,
// types, defaults) and the flag/variable table, so neither can drift from the other.

interface JsonSchema {
  type?: string;
  enum?: unknown[];
  items?: JsonSchema;
  pattern?: string;
  format?: string;
  properties?: Record<string, JsonSchema>;
}

function leaves(node: JsonSchema, path: string[] = [], out = new Map<string, JsonSchema>()): Map<string, JsonSchema> {
  if (node.type === 'object' && node.properties) {
    for (const [k, v] of Object.entries(node.properties)) leaves(v, [...path, k], out);
  } else out.set(path.join('.'), node);
  return out;
}

/** The type column, derived from the schema. */
function typeOf(n: JsonSchema): string {
  const oneOf = (values: unknown[]) => values.map((v) => `\`${String(v)}\``).join(', ');
  if (n.enum) return `one of ${oneOf(n.enum)}`;
  if (n.type === 'array') {
    const item = n.items ?? {};
    if (item.enum) return `list of ${oneOf(item.enum)}`;
    return item.type === 'object' ? 'list of objects' : `list of ${item.type}s`;
  }
  if (n.pattern?.startsWith('^(\\[')) return 'host:port';
  if (n.format === 'uri') return 'URL';
  return String(n.type);
}

/** The default column: the value the schema fills in for an empty file, as YAML flow text. */
function formatDefault(v: unknown): string {
  if (v === undefined) return '–';
  const yaml = (x: unknown): string => (Array.isArray(x) ? `[${x.map(yaml).join(', ')}]` : String(x));
  return `\`${yaml(v)}\``;
}

const at = (obj: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);

const doc = readDoc('docs/configuration.md');
const rows = new Map(tableRows(doc, 'key').map((r) => [codeSpans(r[0] ?? '')[0] ?? r[0] ?? '', r]));
const schemaKeys = leaves(z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema);
const defaults = configSchema.parse({});

describe('docs/configuration.md', () => {
  it('has one row per configuration key, and no row for a key that does not exist', () => {
    const missing = [...schemaKeys.keys()].filter((k) => !rows.has(k));
    const extra = [...rows.keys()].filter((k) => !schemaKeys.has(k));
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
  });

  it('gives each key its type, default, flag and environment variable', () => {
    const wrong: string[] = [];
    for (const [key, node] of schemaKeys) {
      const row = rows.get(key);
      if (!row) continue;
      const setting = SETTINGS.find((s) => s.path.join('.') === key);
      const expected = [`\`${key}\``, setting ? `\`--${setting.flag}\`, \`${setting.env}\`` : '–', typeOf(node), formatDefault(at(defaults, key))];
      if (JSON.stringify(row.slice(0, 4)) !== JSON.stringify(expected)) {
        wrong.push(`| ${expected.join(' | ')} | (meaning) |   documented as: | ${row.slice(0, 4).join(' | ')} |`);
      }
      if (!row[4]?.trim()) wrong.push(`${key}: no meaning given`);
    }
    expect(wrong).toEqual([]);
  });

  it('documents the flags and variables that set no key', () => {
    expect(doc).toContain(`\`--${CONFIG_FLAG.flag} FILE\`, \`${CONFIG_FLAG.env}\``);
  });
});
