import { describe, expect, it } from 'vitest';
import { MCP_METHOD, MCP_METHODS, NOTIFICATION_PREFIX } from '../../src/mcp/methods.js';
import { codeSpans, readDoc } from './markdown.js';

// The MCP method catalogue (src/mcp/methods.ts) is pinned both ways to the list docs/observability.md gives for the
// mcp_method label, the one place the docs name every method: each entry is there, and the list names nothing else.

const doc = readDoc('docs/observability.md');

/** The methods of the `mcp_method` bullet: the code spans in its "the MCP specification's methods (…)" list. */
function documentedMethods(): string[] {
  const bullet = doc.slice(doc.indexOf('- `mcp_method`:'));
  const list = /the MCP specification's methods \(([^)]*)\)/.exec(bullet)?.[1] ?? '';
  return codeSpans(list);
}

/** `resources/templates/list` → `resourcesTemplatesList`: the name a catalogue entry has. */
const entryName = (method: string) =>
  method
    .split('/')
    .map((part, i) => (i === 0 ? part : part.charAt(0).toUpperCase() + part.slice(1)))
    .join('');

describe('MCP method catalogue', () => {
  it('counts 20 methods, each entry named after its method', () => {
    const entries = Object.entries(MCP_METHOD);
    expect(entries.length).toBe(20);
    for (const [name, method] of entries) expect(name).toBe(entryName(method));
    expect(MCP_METHODS).toEqual(Object.values(MCP_METHOD));
  });

  it('is the list docs/observability.md gives for mcp_method, in both directions', () => {
    expect(documentedMethods().sort()).toEqual([...MCP_METHODS].sort());
    expect(doc).toContain(`\`${NOTIFICATION_PREFIX}*\` → \`notification\``);
  });
});
