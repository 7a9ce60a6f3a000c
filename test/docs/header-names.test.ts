import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as HEADERS from '../../src/shared/headers.js';
import { codeSpans, readDoc, root, tableRows } from './markdown.js';

// The header catalogue (src/shared/headers.ts) is pinned both ways to docs/decisions-and-errors.md#headers: every
// header it names is in the table, the table names nothing else, and no other source file spells one of them.

const documented = tableRows(readDoc('docs/decisions-and-errors.md'), 'header').map((r) => codeSpans(r[0] ?? '')[0] ?? '');
const entries = Object.entries(HEADERS) as [string, string][];

/** `x-mcp-authz-approval-id` → `APPROVAL_ID_HEADER`; a prefix (`mcp-param-`) → `PARAM_HEADER_PREFIX`. */
function constantName(header: string): string {
  const prefix = header.endsWith('-');
  const stem = header.replace(/^(x-mcp-authz-|x-envoy-auth-|mcp-)/, '').replace(/-$/, '');
  return `${stem.toUpperCase().replaceAll('-', '_')}_HEADER${prefix ? '_PREFIX' : ''}`;
}

function sources(dir = join(root, 'src')): { path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'generated' ? [] : sources(p);
    return e.name.endsWith('.ts') ? [{ path: p, text: readFileSync(p, 'utf8') }] : [];
  });
}

describe('header catalogue', () => {
  it('counts 8 headers, each constant named after its header, all lower case', () => {
    expect(entries.length).toBe(8);
    for (const [name, header] of entries) {
      expect(name).toBe(constantName(header));
      expect(header).toBe(header.toLowerCase());
    }
  });

  it('is the table of docs/decisions-and-errors.md#headers, in both directions', () => {
    expect(documented.length).toBe(entries.length);
    expect([...documented].sort()).toEqual(entries.map(([, h]) => h).sort());
  });

  it('is the only source file that spells these names', () => {
    const files = sources().filter((f) => !f.path.endsWith(join('shared', 'headers.ts')));
    const spelled = files.flatMap((f) => entries.filter(([, h]) => f.text.includes(`'${h}'`)).map(([, h]) => `${f.path}: ${h}`));
    expect(spelled).toEqual([]);
  });
});
