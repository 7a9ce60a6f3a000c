import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { CONFIG_FLAG, SETTINGS } from '../../src/config/settings.js';
import { runCli } from '../helpers/cli.js';
import { repoRoot, toolPath } from '../helpers/tools.js';

// The command line as operators expect it: --version, --help per command with defaults and environment
// variables, "did you mean", stdin for --body, and `mcp-authz input` feeding `opa eval -i`.

const call = (url: string) => JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'fetch_url', arguments: { url } } });

describe('mcp-authz command line', () => {
  it('--version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    for (const arg of ['--version', 'version']) {
      const r = runCli([arg]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`mcp-authz ${pkg.version}\n`);
    }
  });

  it('serve --help lists every flag with its environment variable and default', () => {
    const r = runCli(['serve', '--help']);
    expect(r.code).toBe(0);
    const defaults = configSchema.parse({}) as Record<string, unknown>;
    expect(r.stdout).toContain(`--${CONFIG_FLAG.flag} FILE`);
    for (const s of SETTINGS) {
      const line = r.stdout.split('\n').find((l) => l.trimStart().startsWith(`--${s.flag} `));
      expect(line, `--${s.flag}`).toBeDefined();
      expect(line).toContain(`env: ${s.env}`);
      const d = s.path.reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], defaults);
      if (typeof d === 'string' || typeof d === 'number') expect(line).toContain(`default: ${d}`);
    }
  });

  it('help COMMAND and COMMAND --help print the same text, for every command', () => {
    for (const cmd of ['serve', 'check', 'input', 'policy']) {
      const a = runCli(['help', cmd]);
      const b = runCli([cmd, '--help']);
      expect(a.code).toBe(0);
      expect(a.stdout).toBe(b.stdout);
      expect(a.stdout).toContain(`Usage: mcp-authz ${cmd}`);
    }
  });

  it('suggests the flag or command that was meant', () => {
    const r = runCli(['serve', '--entrypiont', 'x/y', '--grpc-adr', ':0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown flag --entrypiont (did you mean --entrypoint?)');
    expect(r.stderr).toContain('unknown flag --grpc-adr (did you mean --grpc-addr?)');
    expect(r.stderr).not.toContain('unexpected argument');
    const c = runCli(['chek']);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('unknown command "chek" (did you mean check?)');
  });

  it('check --body - reads the body from stdin', () => {
    const r = runCli(['check', '--body', '-', '--json'], {}, call('https://malicious.com'));
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ decision: 'deny', rule: 'url_not_allowed', http_status: 403 });
  });

  it('input prints the enriched input; opa eval -i on it gives the server’s decision', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-authz-input-'));
    for (const url of ['https://malicious.com', 'https://httpbin.org/get', 'http://2852039166/latest']) {
      const body = join(dir, 'body.json');
      writeFileSync(body, call(url));
      const input = runCli(['input', '--body', body, '--header', 'x-team=billing']);
      expect(input.code).toBe(0);
      const doc = JSON.parse(input.stdout);
      expect(doc.attributes.request.http.headers['x-team']).toBe('billing');
      expect(doc.mcp.urls[0].raw).toBe(url);
      const inputFile = join(dir, 'input.json');
      writeFileSync(inputFile, input.stdout);
      const opa = JSON.parse(
        execFileSync(
          toolPath('opa'),
          [
            'eval',
            '--ignore',
            '*_test.rego',
            '--ignore',
            'examples',
            '-d',
            join(repoRoot, 'rego'),
            '-i',
            inputFile,
            '--format',
            'json',
            'data.mcp.authz.decision',
          ],
          { encoding: 'utf8' },
        ),
      ).result[0].expressions[0].value;
      const server = JSON.parse(runCli(['check', '--body', body, '--header', 'x-team=billing', '--json']).stdout);
      expect({ url, allowed: opa.allowed, rule: opa.rule ?? null, status: opa.http_status ?? null }).toEqual({
        url,
        allowed: server.allowed,
        rule: server.rule,
        status: server.http_status,
      });
    }
  });

  it('input says when the server answers a request without evaluating the policy', () => {
    const r = runCli(['input', '--body', '-'], {}, '{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('the server answers this request itself (body_duplicate_key)');
    expect(JSON.parse(r.stdout).mcp.error.code).toBe('body_duplicate_key');
  });
});
