// Ordinary agent work must pass (issue 19, over-blocking): test/fixtures/ordinary/ holds realistic calls — source
// files, configs, templates, ticket titles with brackets, percentages, Markdown, SQL, base64 attachments, diffs,
// roots/list — one message per file, each expected to be allowed by the default pack, and by the custom-rule
// example (the pack, its data and a team's Rego rule beside it). Sent over gRPC to a real server, as Envoy sends
// them.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpCheckRequest } from '../helpers/requests.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { repoRoot } from '../helpers/tools.js';

const dir = join(repoRoot, 'test/fixtures/ordinary');
const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({
    file,
    c: JSON.parse(readFileSync(join(dir, file), 'utf8')) as { description: string; message: unknown; expect: { decision: string } },
  }));

let server: TestServer;
let custom: TestServer;
let policy: string;
beforeAll(async () => {
  server = await startTestServer();
  policy = mkdtempSync(join(tmpdir(), 'mcp-authz-ordinary-'));
  for (const f of readdirSync(join(repoRoot, 'rego'))) if (f.endsWith('.rego')) copyFileSync(join(repoRoot, 'rego', f), join(policy, f));
  copyFileSync(join(repoRoot, 'rego/examples/custom-rule/blocked_cities.rego'), join(policy, 'blocked_cities.rego'));
  custom = await startTestServer({ policy, data: [join(repoRoot, 'rego/examples/custom-rule/data.yaml')] });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await custom?.close();
  if (policy) rmSync(policy, { recursive: true, force: true });
});

describe('ordinary agent calls (test/fixtures/ordinary)', () => {
  it('holds at least 50 described calls, all expected to be allowed', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
    for (const { file, c } of cases) {
      expect(c.description.length, file).toBeGreaterThan(0);
      expect(c.expect.decision, file).toBe('allow');
    }
  });

  it.each(cases)('$file is allowed by the default pack', async ({ c }) => {
    const res = await server.client.check(mcpCheckRequest(c.message));
    expect(res.status?.code ?? 0, JSON.stringify(res.denied_response?.body ?? res.status)).toBe(0);
  });

  it.each(cases)('$file is allowed by the custom-rule example', async ({ c }) => {
    const res = await custom.client.check(mcpCheckRequest(c.message));
    expect(res.status?.code ?? 0, JSON.stringify(res.denied_response?.body ?? res.status)).toBe(0);
  });
});
