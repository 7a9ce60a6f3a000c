import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMcpBody } from '../../../src/mcp/parse-body.js';
import { repoRoot } from '../../helpers/tools.js';
import { DEFAULT_LIMITS } from '../../helpers/pipeline.js';

interface Fixture {
  description: string;
  message?: unknown;
  body?: string;
  headers?: Record<string, string>;
  expect: Record<string, unknown> & { error?: string; batch_tools?: (string | null)[] };
}

const dir = join(repoRoot, 'test/fixtures/mcp');
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, fx: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Fixture }));

describe('MCP parser fixture corpus', () => {
  it('has both accept and reject cases', () => {
    expect(fixtures.filter((f) => f.file.startsWith('accept-')).length).toBeGreaterThanOrEqual(10);
    expect(fixtures.filter((f) => f.file.startsWith('reject-')).length).toBeGreaterThanOrEqual(15);
  });

  it.each(fixtures)('$file', ({ file, fx }) => {
    const text = fx.body ?? JSON.stringify(fx.message);
    const contentType = fx.headers?.['content-type'] ?? 'application/json';
    const { mcp, parsedBody } = parseMcpBody({ text, byteLength: Buffer.byteLength(text), truncated: false, contentType }, DEFAULT_LIMITS);
    const { error, batch_tools: batchTools, ...fields } = fx.expect;
    if (file.startsWith('reject-')) {
      expect(error, 'reject fixtures name the error code').toBeDefined();
      expect(mcp.error?.code).toBe(error);
      expect(mcp.error?.message).toMatch(/\S/);
      expect(mcp.method).toBeUndefined();
      expect(mcp.tool).toBeUndefined();
      return;
    }
    expect(mcp.error).toBeUndefined();
    expect(parsedBody).toEqual(fx.message);
    for (const [key, value] of Object.entries(fields)) {
      expect((mcp as unknown as Record<string, unknown>)[key], key).toEqual(value === null ? undefined : value);
    }
    if (batchTools) expect(mcp.batch?.map((m) => m.tool ?? null)).toEqual(batchTools);
  });
});
