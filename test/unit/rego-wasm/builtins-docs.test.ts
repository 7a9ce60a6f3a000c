import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHostBuiltins, REFUSAL_REASONS } from '../../../src/rego-wasm/builtins/index.js';
import { repoRoot } from '../../helpers/tools.js';

describe('docs/builtins.md matches the code', () => {
  it('documents every host builtin mcp-authz provides and every one it refuses with a reason', async () => {
    const doc = await readFile(join(repoRoot, 'docs/builtins.md'), 'utf8');
    const provided = Object.keys(createHostBuiltins().functions);
    const documented = (name: string) => doc.includes(`\`${name}\``) || doc.includes(`\`${name.split('.').slice(0, -1).join('.')}.*\``);
    expect(provided.filter((b) => !documented(b))).toEqual([]);
    expect(Object.keys(REFUSAL_REASONS).filter((b) => !documented(b))).toEqual([]);
  });
});
