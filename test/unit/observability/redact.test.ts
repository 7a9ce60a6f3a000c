import { describe, expect, it } from 'vitest';
import { createRedactor, parsePath, REDACTED } from '../../../src/observability/redact.js';
import { sampled } from '../../../src/observability/decision-log.js';

describe('redaction', () => {
  it('parses paths with wildcards, indexes and quoted keys', () => {
    expect(parsePath('arguments.items[*].ssn')).toEqual(['arguments', 'items', '*', 'ssn']);
    expect(parsePath('claims["a.b"].c')).toEqual(['claims', 'a.b', 'c']);
    expect(parsePath('arguments.list[2]')).toEqual(['arguments', 'list', '2']);
  });

  it('redacts arguments in single messages, batches and parsed_body, claims and headers, never mutating the input', () => {
    const input = {
      attributes: { request: { http: { body: '{"secret":1}', headers: { Authorization: 'Bearer x', 'x-token': 't', accept: '*/*' } } } },
      parsed_body: [{ params: { arguments: { card: { number: '4111' } } } }],
      mcp: { arguments: { card: { number: '4111', exp: '1' } }, batch: [{ arguments: { card: { number: '5500' } } }] },
      identity: { user: { claims: { email: 'a@b.c', team: 'x' } } },
    };
    const r = createRedactor(['arguments.card.number', 'claims.email', 'headers.x-token']).redactInput(input) as any;
    expect(r.mcp.arguments.card).toEqual({ number: REDACTED, exp: '1' });
    expect(r.mcp.batch[0].arguments.card.number).toBe(REDACTED);
    expect(r.parsed_body[0].params.arguments.card.number).toBe(REDACTED);
    expect(r.identity.user.claims).toEqual({ email: REDACTED, team: 'x' });
    expect(r.attributes.request.http.headers).toEqual({ Authorization: REDACTED, 'x-token': REDACTED, accept: '*/*' });
    expect(r.attributes.request.http.body).not.toContain('secret');
    expect(input.mcp.arguments.card.number).toBe('4111');
  });

  it('samples deterministically by decision id', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `id-${i}`);
    const picked = ids.filter((id) => sampled(id, 0.25)).length;
    expect(picked).toBeGreaterThan(400);
    expect(picked).toBeLessThan(600);
    expect(ids.filter((id) => sampled(id, 0.25))).toEqual(ids.filter((id) => sampled(id, 0.25)));
    expect(sampled('x', 0)).toBe(false);
    expect(sampled('x', 1)).toBe(true);
  });
});
