import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAILURE_STATUS, MALFORMED_STATUS, REASON, type ReasonCode, reasonClass, STARTUP_ERROR } from '../../src/shared/errors.js';
import { IDENTITY_ERROR_CODES } from '../../src/identity/jwt-verifier.js';
import { codeSpans, readDoc, root, tableRows } from './markdown.js';

// Error and reason codes are pinned both ways: every code the code can produce is documented in
// docs/decisions-and-errors.md (identity error codes: docs/identity.md), and every documented code exists.

const doc = readDoc('docs/decisions-and-errors.md');
const firstCode = (row: string[]) => codeSpans(row[0] ?? '')[0] ?? '';

/** Every .ts file under src/, with its text. */
function sources(dir = join(root, 'src')): { path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') ? [{ path: p, text: readFileSync(p, 'utf8') }] : [];
  });
}

/** `reason_code` → `reasonCode`: the name a REASON entry has. */
const camel = (code: string) => code.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

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

  it('names each REASON entry as its code', () => {
    const entries = Object.entries(REASON);
    expect(entries.length).toBe(reasonRows.length);
    for (const [name, code] of entries) expect(name).toBe(camel(code));
  });

  it('catalogues the startup error codes: each entry named as its code, every one documented, nothing else', () => {
    const entries = Object.entries(STARTUP_ERROR);
    expect(entries.length).toBe(22);
    for (const [name, code] of entries) expect(name).toBe(code);
    expect(startupRows.map(firstCode).sort()).toEqual(Object.values(STARTUP_ERROR).sort());
  });

  it('spells a startup error code only in the catalogue, and throws every one', () => {
    const files = sources().filter((f) => !f.path.endsWith(join('shared', 'errors.ts')));
    const inline = files.flatMap((f) => [...f.text.matchAll(/new (?:AuthzError|PolicyLoadError)\(\s*'([a-z_]+)'/g)].map((m) => `${f.path}: ${m[1]}`));
    expect(inline).toEqual([]);
    const all = files.map((f) => f.text).join('\n');
    expect(Object.values(STARTUP_ERROR).filter((code) => !all.includes(`STARTUP_ERROR.${code}`))).toEqual([]);
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
