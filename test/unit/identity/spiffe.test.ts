import { describe, expect, it } from 'vitest';
import { parseSpiffeId } from '../../../src/identity/spiffe.js';

describe('SPIFFE IDs', () => {
  it.each([
    ['spiffe://cluster.local/ns/agents/sa/support-agent', { trust_domain: 'cluster.local', namespace: 'agents', service_account: 'support-agent' }],
    ['spiffe://example.org', { trust_domain: 'example.org', path: '' }],
    ['spiffe://example.org/workload/a_b.c-d', { trust_domain: 'example.org', path: '/workload/a_b.c-d' }],
    ['spiffe://td/ns/x/sa', { path: '/ns/x/sa' }],
  ])('%s is valid', (id, expected) => {
    const r = parseSpiffeId(id);
    expect(r.ok).toBe(true);
    expect(r).toMatchObject(expected);
  });

  it.each([
    '',
    'http://cluster.local/ns/a/sa/b',
    'spiffe://',
    'spiffe:///ns/a',
    'spiffe://Cluster.Local/ns/a/sa/b',
    'spiffe://cluster.local:8443/ns/a',
    'spiffe://user@cluster.local/ns/a',
    'spiffe://cluster.local/ns/a/sa/b?x=1',
    'spiffe://cluster.local/ns/a/sa/b#frag',
    'spiffe://cluster.local/ns//sa/b',
    'spiffe://cluster.local/ns/../sa/b',
    'spiffe://cluster.local/ns/./sa/b',
    'spiffe://cluster.local/',
    'spiffe://cluster.local/ns/a b/sa/c',
    `spiffe://cluster.local/${'a'.repeat(2100)}`,
  ])('%j is rejected with a reason', (id) => {
    const r = parseSpiffeId(id);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.length).toBeGreaterThan(0);
  });
});
