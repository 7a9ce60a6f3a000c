import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { toolCall } from '../helpers/requests.js';
import { repoRoot } from '../helpers/tools.js';

const tmp = mkdtempSync(join(tmpdir(), 'mcp-authz-check-'));
const bodyFile = (name: string, value: unknown): string => {
  const f = join(tmp, name);
  writeFileSync(f, typeof value === 'string' ? value : JSON.stringify(value));
  return f;
};

describe('mcp-authz check (offline dry run with the embedded default policy)', () => {
  it('--now checks as of a given time: business hours open on a Monday morning, closed on a Sunday', () => {
    const payment = bodyFile('payment.json', toolCall('http_proxy', { url: 'https://api.stripe.com/v1/charges', body: { amount: 50000 } }));
    const args = ['check', '--data', join(repoRoot, 'rego/examples/action-firewall/data.yaml'), '--body', payment];
    const agent = ['--principal', 'spiffe://cluster.local/ns/agents/sa/payment-agent'];
    const monday = runCli([...args, ...agent, '--now', '2026-12-07T10:00:00-05:00']);
    expect(monday.code, monday.stderr).toBe(2);
    expect(monday.stdout).toMatch(/rule: +large-payment/);
    const sunday = runCli([...args, ...agent, '--now', '2026-12-06T10:00:00-05:00', '--json']);
    expect(sunday.code).toBe(1);
    expect(JSON.parse(sunday.stdout)).toMatchObject({ decision: 'deny', rule: 'business-hours' });
    const bad = runCli([...args, '--now', 'next tuesday']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('--now next tuesday: expected an RFC 3339 time with an offset');
  });

  it('the text view names each removed header once, with the count of its spellings; --json lists them all', () => {
    const payment = bodyFile('payment2.json', toolCall('http_proxy', { url: 'https://api.stripe.com/v1/charges', body: { amount: 5 } }));
    const args = ['check', '--data', join(repoRoot, 'rego/examples/action-firewall/data.yaml'), '--body', payment];
    const agent = ['--principal', 'spiffe://cluster.local/ns/agents/sa/payment-agent', '--now', '2026-12-07T10:00:00-05:00'];
    const text = runCli([...args, ...agent]);
    expect(text.code, text.stderr).toBe(0);
    const removes = text.stdout.split('\n').find((l) => l.startsWith('removes:'))!;
    expect(removes).toContain('x-mcp-authz-approval-id (+15 spellings)');
    expect(removes).not.toContain('x_mcp');
    const json = JSON.parse(runCli([...args, ...agent, '--json']).stdout);
    expect(json.headers_to_remove.filter((h: string) => h.replaceAll('_', '-') === 'x-mcp-authz-approval-id')).toHaveLength(16);
  });

  it('exit 1 and the rule for a denied body', () => {
    const r = runCli(['check', '--body', bodyFile('deny.json', toolCall('fetch_url', { url: 'https://malicious.com' }))]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^decision: +deny \(HTTP 403, policy_denied\)/m);
    expect(r.stdout).toMatch(/^rule: +url_not_allowed/m);
    expect(r.stdout).toContain('"tool": "fetch_url"');
  });

  it('exit 0, the injected headers and the input document for an allowed body (--json)', () => {
    const r = runCli([
      'check',
      '--json',
      '--header',
      'Mcp-Session-Id=s-9',
      '--body',
      bodyFile('allow.json', toolCall('fetch_url', { url: 'https://httpbin.org/get' })),
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.decision).toBe('allow');
    expect(out.headers).toContainEqual({ key: 'x-mcp-authz-decision', value: 'allow', append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' });
    expect(out.input.mcp.session_id).toBe('s-9');
    expect(out.input.parsed_body.params.arguments.url).toBe('https://httpbin.org/get');
  });

  it('takes a full CheckRequest in protojson form (as grpcurl does), raw bytes included', () => {
    const body = JSON.stringify(toolCall('fetch_url', { url: 'http://169.254.169.254/' }));
    const req = {
      attributes: {
        request: {
          http: { method: 'POST', path: '/mcp', headers: { 'content-type': 'application/json' }, rawBody: Buffer.from(body).toString('base64') },
        },
      },
    };
    const r = runCli(['check', '--json', '--request', bodyFile('req.json', req)]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).rule).toBe('metadata_endpoint');
  });

  it('runs a regression suite with --cases', () => {
    const r = runCli(['check', '--cases', join(repoRoot, 'test/fixtures/cases/default-policy')]);
    expect(r.stdout).toContain('4 passed, 0 failed');
    expect(r.code).toBe(0);
  });

  it('fails a suite whose expectation is wrong, naming the case', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-authz-cases-'));
    writeFileSync(
      join(dir, 'wrong.yaml'),
      'message: {jsonrpc: "2.0", id: 1, method: tools/call, params: {name: fetch_url, arguments: {url: "https://malicious.com"}}}\nexpect: {decision: allow}\n',
    );
    const r = runCli(['check', '--cases', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL wrong\.yaml: decision deny \(policy_denied\), expected allow/);
  });

  it('exit 3 for usage errors and unreadable policies', () => {
    expect(runCli(['check']).code).toBe(3);
    expect(runCli(['check', '--body', '/nope.json']).code).toBe(3);
    const r = runCli(['check', '--bundle', '/no/bundle.tar.gz', '--body', bodyFile('x.json', toolCall('a', {}))]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('bundle_unreadable');
  });

  it('exit 3 for every server-side failure: a CheckRequest without HTTP attributes is request_invalid', () => {
    const file = bodyFile('empty-request.json', {});
    const r = runCli(['check', '--request', file]);
    expect(r.stdout).toContain('request_invalid');
    expect(r.code).toBe(3);
  });
});
