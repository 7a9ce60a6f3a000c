// Pins the documentation to the code for what issue 10 added: every reason code is in an error-code table, and
// every new input field and pack key is documented (README.md, or docs/ once the reference lives there).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REASON } from '../../src/shared/errors.js';
import { packConfigSchema } from '../../src/pack/pack-config.js';
import { repoRoot } from '../helpers/tools.js';

function docsText(): string {
  const parts = [readFileSync(join(repoRoot, 'README.md'), 'utf8')];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.md')) parts.push(readFileSync(join(dir, e.name), 'utf8'));
    }
  };
  walk(join(repoRoot, 'docs'));
  return parts.join('\n');
}

describe('docs pin the hardening codes and fields', () => {
  const docs = docsText();

  it('every reason code has a row in an error-code table', () => {
    for (const code of Object.values(REASON)) {
      expect(docs, code).toContain(`| \`${code}\` |`);
    }
  });

  it('documents the input fields and the guarantee', () => {
    for (const field of ['headers', 'documents', 'public_tld', 'wrapped_in', 'jsonrpc_code', 'facts_truncated', '$params', '{json}', '{form}']) {
      expect(docs, field).toContain(`\`${field}`);
    }
    expect(docs).toContain('An allow means the server understood every call in the request completely');
  });

  it('documents every pack data key', () => {
    const shape = packConfigSchema as unknown as { _def: { schema?: { shape: Record<string, unknown> } }; shape?: Record<string, unknown> };
    const keys = Object.keys(shape.shape ?? shape._def.schema?.shape ?? {});
    expect(keys.length).toBeGreaterThan(10);
    for (const k of keys) expect(docs, k).toContain(`\`${k}`);
    for (const k of ['agent_scopes', 'urls.cluster_namespaces', 'urls.methods', 'documents.deny_unparsed']) expect(docs, k).toContain(k);
  });
});
