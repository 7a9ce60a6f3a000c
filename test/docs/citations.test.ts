import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchors, readDoc, root } from './markdown.js';

// Code, policies, manifests and scripts cite the reference where it lives: a docs/ page (and heading) that exists.
// Not README sections (the README is short; they moved to docs/), and no file outside the repository (a reader of
// the repository cannot open ../shared/…).
const files = execFileSync('git', ['ls-files', 'src', 'rego', 'manifests', 'scripts', 'bench', 'test'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((f) => /\.(ts|mjs|js|rego|ya?ml|sh|go|md|json)$/.test(f) && !f.startsWith('src/generated/') && f !== 'test/docs/citations.test.ts');

describe('citations in code, policies and manifests', () => {
  it('name docs/ pages and headings that exist, never README sections or files outside the repository', () => {
    const broken: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(root, f), 'utf8');
      for (const m of text.matchAll(/README ["“]([^"”]+)["”]/g)) broken.push(`${f}: cites README section "${m[1]}" (cite its docs/ page)`);
      if (/shared\/scenarios\//.test(text)) broken.push(`${f}: cites shared/scenarios/, which is not in the repository`);
      for (const m of text.matchAll(/(?<![\w/.-])docs\/([a-z0-9-]+\.md)(?:#([a-z0-9-]+))?/g)) {
        const page = `docs/${m[1]}`;
        if (!existsSync(join(root, page))) broken.push(`${f}: cites ${page}, which does not exist`);
        else if (m[2] && !anchors(readDoc(page)).includes(m[2])) broken.push(`${f}: cites ${page}#${m[2]}, a heading that does not exist`);
      }
    }
    expect(broken).toEqual([]);
  });
});
