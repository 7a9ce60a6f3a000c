import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAILURE_STATUS, MALFORMED_STATUS, REASON, type ReasonCode, reasonClass } from '../../src/shared/errors.js';
import { IDENTITY_ERROR_CODES } from '../../src/identity/jwt-verifier.js';
import { LISTEN_ERROR_CODES } from '../../src/server/listen-error.js';
import { codeSpans, readDoc, root, tableRows } from './markdown.js';

// Error and reason codes are pinned both ways: every code the code can produce is documented in
// docs/decisions-and-errors.md (identity error codes: docs/identity.md), and every documented code exists.

const doc = readDoc('docs/decisions-and-errors.md');
const firstCode = (row: string[]) => codeSpans(row[0] ?? '')[0] ?? '';

/** Codes thrown as `new AuthzError('code', …)` (or the engine's `new PolicyLoadError('code', …)`) anywhere in src/, and the bind failures. */
function startupCodesInSource(): Set<string> {
  const codes = new Set<string>(LISTEN_ERROR_CODES);
  const visit = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) visit(p);
      else if (e.name.endsWith('.ts')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/new (?:AuthzError|PolicyLoadError)\(\s*'([a-z_]+)'/g)) codes.add(m[1]!);
      }
    }
  };
  visit(join(root, 'src'));
  return codes;
}

describe('error codes in docs/decisions-and-errors.md', () => {
  const reasonRows = tableRows(doc, 'code').filter((r) => r.length === 4);
  const startupRows = tableRows(doc, 'code').filter((r) => r.length === 2);

  it('documents every reason code, and only those, with its HTTP status', () => {
    const documented = new Map(reasonRows.map((r) => [firstCode(r), r[1] ?? '']));
    const codes = Object.values(REASON) as ReasonCode[];
    expect([...documented.keys()].sort()).toEqual([...codes].sort());
    for (const code of codes) {
      const status = MALFORMED_STATUS[code] ?? FAILURE_STATUS[code];
      if (status !== undefined) expect(`${code}: ${documented.get(code)}`).toBe(`${code}: ${status}`);
    }
  });

  it('documents each reason code with its class, as reasonClass() answers it', () => {
    const classes = new Map(reasonRows.map((r) => [firstCode(r), (r[2] ?? '').trim()]));
    expect(Object.keys(REASON).length).toBe(classes.size);
    for (const code of Object.values(REASON) as ReasonCode[]) expect(`${code}: ${classes.get(code)}`).toBe(`${code}: ${reasonClass(code)}`);
  });

  it('documents every startup error code thrown in src/, and only those', () => {
    expect(startupRows.map(firstCode).sort()).toEqual([...startupCodesInSource()].sort());
  });
});

describe('identity error codes in docs/identity.md', () => {
  const rows = tableRows(readDoc('docs/identity.md'), 'code').filter((r) => r.length === 2);

  it('documents every identity error code, and only those', () => {
    expect(rows.map(firstCode).sort()).toEqual([...IDENTITY_ERROR_CODES].sort());
  });

  it('lists only codes that src/identity/ produces', () => {
    const dir = join(root, 'src', 'identity');
    // The list itself is left out, so a code counts only where it is produced.
    const source = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n')
      .replace(/IDENTITY_ERROR_CODES = \[[^\]]*\]/, '');
    expect(IDENTITY_ERROR_CODES.filter((code) => !source.includes(`'${code}'`))).toEqual([]);
  });
});
