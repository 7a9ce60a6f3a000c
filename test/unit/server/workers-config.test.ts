import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { workerCount } from '../../../src/server/worker-count.js';
import { loadConfig } from '../../../src/config/load.js';

describe('workers (--workers, MCP_AUTHZ_WORKERS, workers:)', () => {
  it('defaults to the CPUs this process may use', () => {
    expect(loadConfig({ flags: {}, env: {} }).workers).toBeUndefined();
    expect(workerCount(loadConfig({ flags: {}, env: {} }))).toBe(availableParallelism());
  });
  it('is set by the environment, and the flag wins', () => {
    expect(loadConfig({ flags: {}, env: { MCP_AUTHZ_WORKERS: '3' } }).workers).toBe(3);
    expect(loadConfig({ flags: { workers: '1' }, env: { MCP_AUTHZ_WORKERS: '3' } }).workers).toBe(1);
  });
  it('refuses zero, fractions and words, naming the key', () => {
    expect(() => loadConfig({ flags: { workers: '0' }, env: {} })).toThrow(/workers/);
    expect(() => loadConfig({ flags: { workers: '1.5' }, env: {} })).toThrow(/workers/);
    expect(() => loadConfig({ flags: {}, env: { MCP_AUTHZ_WORKERS: 'many' } })).toThrow(/MCP_AUTHZ_WORKERS/);
  });
});
