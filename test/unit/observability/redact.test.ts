import { describe, expect, it } from 'vitest';
import { createRedactor, parsePath, REDACTED, scrub } from '../../../src/observability/redact.js';
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

  it('collects the selected values as secrets without copying, and scrubs them elsewhere in the copy', () => {
    const input = {
      attributes: { request: { http: { headers: { authorization: 'Bearer tok-123456' } } } },
      mcp: {
        arguments: { profile: { email: 'a@b.example', age: 41, tags: ['x', 'vip-customer'] }, note: 'mail a@b.example today' },
        urls: [{ path: 'profile.site', raw: 'https://a@b.example/x', host: 'b.example' }],
      },
      identity: { user: { sub: 'a@b.example', claims: { email: 'a@b.example' } } },
    };
    const r = createRedactor(['arguments.profile']);
    expect(r.secretsOf(input).sort()).toEqual(['41', 'Bearer tok-123456', 'a@b.example', 'vip-customer', 'x'].sort());
    expect(input.mcp.arguments.profile.email).toBe('a@b.example'); // secretsOf does not modify
    const { input: out, secrets } = r.redact(input) as { input: any; secrets: string[] };
    expect(secrets).toContain('vip-customer');
    expect(out.mcp.arguments.profile).toBe(REDACTED);
    expect(out.mcp.arguments.note).toBe(REDACTED); // contains a secret
    expect(out.mcp.urls).toEqual([{ path: 'profile.site', raw: REDACTED }]);
    expect(out.identity.user.sub).toBe(REDACTED);
    expect(JSON.stringify(out)).not.toContain('a@b.example');
  });

  it('scrubs only secrets of four characters or more', () => {
    expect(scrub('card 4111 pin 12 and 4111 again', ['4111', '12'])).toBe('card [REDACTED] pin 12 and [REDACTED] again');
    expect(scrub('nothing here', [])).toBe('nothing here');
  });
});
