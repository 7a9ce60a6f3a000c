import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSpiffeId } from '../../../src/identity/spiffe.js';

const table = JSON.parse(readFileSync(new URL('../../fixtures/identity/spiffe-ids.json', import.meta.url), 'utf8')) as {
  valid: { id: string; expect: Record<string, string> }[];
  invalid: { id: string; why: string }[];
};

describe('SPIFFE IDs (test/fixtures/identity/spiffe-ids.json)', () => {
  it.each(table.valid.map((v) => [v.id, v.expect] as const))('%s is valid', (id, expected) => {
    // Exactly these fields: namespace and service_account only for /ns/<ns>/sa/<sa>.
    expect(parseSpiffeId(id)).toEqual(expected);
  });

  it.each(table.invalid.map((v) => [v.why, v.id] as const))('rejects %s', (_why, id) => {
    const r = parseSpiffeId(id);
    expect(r).toHaveProperty('error');
    expect((r as { error: string }).error.length).toBeGreaterThan(0);
    expect(r).not.toHaveProperty('trust_domain');
  });

  it('accepts exactly 2048 bytes', () => {
    const id = `spiffe://td/${'a'.repeat(2048 - 'spiffe://td/'.length)}`;
    expect(parseSpiffeId(id)).toMatchObject({ trust_domain: 'td' });
    expect(parseSpiffeId(`${id}b`)).toHaveProperty('error');
  });

  it('never throws, and whatever it accepts is well-formed', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `spiffe://${s}`),
          fc.webUrl().map((u) => u.replace(/^https?/, 'spiffe')),
        ),
        (s) => {
          const r = parseSpiffeId(s);
          if ('error' in r) return;
          expect(s).toBe(`spiffe://${r.trust_domain}${r.path}`);
          expect(r.trust_domain).toMatch(/^[a-z0-9._-]+$/);
          for (const seg of r.path.split('/').slice(1)) expect(['', '.', '..']).not.toContain(seg);
        },
      ),
      { numRuns: 500 },
    );
  });
});
