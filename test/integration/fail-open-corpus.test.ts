// The fail-open corpus of issue 10 (test/fixtures/fail-open/<class>/, one message per file with a description and
// an expectation), run as `mcp-authz check --cases` suites in process — the serving pipeline with the pack in
// rego/ compiled by the opa CLI — plus the managed-header class (09), which needs the CheckResponse itself, and the
// blank class (18) in audit mode, over gRPC against a real server.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check as checkCli } from '../../src/cli/check.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { repoRoot } from '../helpers/tools.js';

const corpus = join(repoRoot, 'test/fixtures/fail-open');
const classes = readdirSync(corpus, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

/**
 * Classes that run with other data than data.yaml, a team's rule beside the pack, or an identity configuration
 * (paths from the repository root): the custom rule's City: and trimming (22), roles claims (23).
 */
const SUITES: Record<string, { data: string; rego?: string[]; config?: string }> = {
  '22-custom-rule': { data: 'rego/examples/custom-rule/data.yaml', rego: ['rego/examples/custom-rule/blocked_cities.rego'] },
  '23-roles-claim': { data: 'rego/examples/customer-db-roles/data.yaml', config: 'test/fixtures/cases/payload-identity.config.yaml' },
};

let policyDirs: string | undefined;
/** The pack's rego/*.rego plus the suite's own rules, in a directory of their own. */
function policyWith(rego: string[]): string {
  policyDirs ??= mkdtempSync(join(tmpdir(), 'mcp-authz-corpus-'));
  const dir = mkdtempSync(join(policyDirs, 'policy-'));
  for (const f of readdirSync(join(repoRoot, 'rego'))) if (f.endsWith('.rego')) copyFileSync(join(repoRoot, 'rego', f), join(dir, f));
  for (const f of rego) copyFileSync(join(repoRoot, f), join(dir, f.split('/').at(-1)!));
  return dir;
}
afterAll(() => {
  if (policyDirs) rmSync(policyDirs, { recursive: true, force: true });
});

async function runCases(dir: string): Promise<{ code: number; out: string }> {
  let out = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  const suite = SUITES[dir];
  const policy = suite?.rego ? policyWith(suite.rego) : join(repoRoot, 'rego');
  const data = suite ? join(repoRoot, suite.data) : join(corpus, 'data.yaml');
  const argv = [
    '--policy',
    policy,
    '--data',
    data,
    '--cases',
    join(corpus, dir),
    ...(suite?.config ? ['--config', join(repoRoot, suite.config)] : []),
  ];
  const code = await checkCli(argv, {}, sink as unknown as typeof process.stdout, sink as unknown as typeof process.stderr);
  return { code, out };
}

describe('fail-open corpus (issue 10)', () => {
  it('covers every class with denials and at least one allowed control where one exists', () => {
    expect(classes.map((c) => c.slice(0, 2))).toEqual([
      '01',
      '02',
      '03',
      '04',
      '05',
      '06',
      '07',
      '08',
      '10',
      '11',
      '12',
      '13',
      '14',
      '15',
      '16',
      '17',
      '18',
      '19',
      '20',
      '21',
      '22',
      '23',
    ]);
    for (const c of classes) {
      const files = readdirSync(join(corpus, c)).filter((f) => f.endsWith('.json'));
      const expects = files.map((f) => JSON.parse(readFileSync(join(corpus, c, f), 'utf8')) as { description: string; expect: { decision: string } });
      expect(
        expects.every((e) => e.description.length > 0),
        c,
      ).toBe(true);
      expect(expects.filter((e) => e.expect.decision !== 'allow').length, c).toBeGreaterThanOrEqual(2);
    }
  });

  it.each(classes)('%s', async (dir) => {
    const { code, out } = await runCases(dir);
    expect(out).toMatch(/\d+ passed, 0 failed/);
    expect(code, out).toBe(0);
  });
});

describe('09: managed headers and their underscore twins are stripped on every allow', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ data: [join(repoRoot, 'rego/examples/customer-service/enforce/data.yaml')] });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('removes x_processed_by, x-mcp-authz-approval-id and every -/_ spelling of the pack and server headers', async () => {
    const req = mcpCheckRequest(toolCall('customer-tools__lookup_order', { order_id: 'o1' }), {
      headers: { x_processed_by: 'forged', 'x-mcp-authz-approval-id': 'forged', x_mcp_authz_decision: 'allow' },
    }) as any;
    req.attributes.source.principal = 'spiffe://cluster.local/ns/agents/sa/support-agent';
    const res = await server.client.check(req);
    expect(res.status?.code ?? 0).toBe(0);
    const removed: string[] = res.ok_response?.headers_to_remove ?? [];
    for (const h of [
      'x_processed_by',
      'x-processed_by',
      'x-processed-by',
      'x-mcp-authz-approval-id',
      'x_mcp_authz_approval_id',
      'x_mcp_authz_decision',
      'x_authz_claim_team',
    ]) {
      expect(removed, h).toContain(h);
    }
    const set = (res.ok_response?.headers ?? []).map((h: any) => h.header.key);
    expect(set).toContain('x-mcp-authz-decision');
    expect(removed).not.toContain('x-mcp-authz-decision');
  });
});

describe('18: blank reasons in audit mode are allowed only with would_deny', () => {
  const blank = join(corpus, '18-blank');
  const cases = readdirSync(blank)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      c: JSON.parse(readFileSync(join(blank, file), 'utf8')) as { message: unknown; principal?: string; expect: { decision: string; rule?: string } },
    }));
  let server: TestServer;
  let tmp: string;
  beforeAll(async () => {
    // The corpus's data with every rule group in audit mode.
    tmp = mkdtempSync(join(tmpdir(), 'mcp-authz-audit-'));
    const data = join(tmp, 'audit.yaml');
    writeFileSync(data, `${readFileSync(join(corpus, 'data.yaml'), 'utf8')}  mode: audit\n`);
    server = await startTestServer({ data: [data] });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('has denials to audit', () => {
    expect(cases.filter(({ c }) => c.expect.decision === 'deny').length).toBeGreaterThanOrEqual(5);
  });

  it.each(cases)('$file', async ({ c }) => {
    const req = mcpCheckRequest(c.message) as any;
    req.attributes.source.principal = c.principal;
    const res = await server.client.check(req);
    expect(res.status?.code ?? 0).toBe(0);
    const md = Object.fromEntries(
      Object.entries(res.dynamic_metadata?.fields ?? {}).map(([k, v]: [string, any]) => [k, v.boolValue ?? v.stringValue ?? v.numberValue]),
    );
    if (c.expect.decision === 'allow') expect(md.would_deny).toBeUndefined();
    else expect(md).toMatchObject({ mode: 'audit', decision: 'allow', would_deny: true, rule: c.expect.rule });
  });
});
