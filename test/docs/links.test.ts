import { existsSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchors, docPages, links, readDoc, root } from './markdown.js';

// Every relative link in README.md and docs/ points at a file in the repository, and every #anchor at a heading
// that exists on the target page. Links leaving the repository (../shared/…) are broken for every reader.
describe('documentation links', () => {
  for (const page of docPages()) {
    it(`${page}: every relative link and anchor resolves`, () => {
      const broken: string[] = [];
      for (const href of links(readDoc(page))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue; // https:, mailto:
        const [path = '', anchor] = href.split('#');
        const target = path ? normalize(join(dirname(page), decodeURIComponent(path))) : page;
        if (target.startsWith('..') || !existsSync(join(root, target))) {
          broken.push(`${href} (no file ${target} in the repository)`);
          continue;
        }
        if (anchor !== undefined && target.endsWith('.md') && !anchors(readDoc(target)).includes(anchor)) {
          broken.push(`${href} (no heading #${anchor} in ${target})`);
        }
      }
      expect(broken).toEqual([]);
    });

    it(`${page}: no two headings share an anchor`, () => {
      const seen = anchors(readDoc(page));
      expect(seen.filter((a) => /-\d+$/.test(a) && seen.includes(a.replace(/-\d+$/, '')))).toEqual([]);
    });
  }
});
