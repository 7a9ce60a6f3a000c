import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { checkClient } from '../helpers/grpc-client.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { repoRoot } from '../helpers/tools.js';

describe('mcp-authz CLI', () => {
  it('lists every startup problem at once and exits 2', () => {
    const r = runCli([
      'serve',
      '--bogus',
      '--bundle',
      '/no/such/bundle.tar.gz',
      '--entrypoint',
      'not a rule',
      '--grpc-addr',
      'nope',
      '--data',
      '/no/such.yaml',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown flag --bogus');
    expect(r.stderr).toContain('policy.entrypoint');
    expect(r.stderr).toContain('grpc_addr');
    expect(r.stderr).toContain('--bundle /no/such/bundle.tar.gz: no such file or directory');
    expect(r.stderr).toContain('--data /no/such.yaml: no such file or directory');
  });

  it('refuses a bundle without the requested entrypoint, naming the ones it has', () => {
    const r = runCli(['serve', '--bundle', join(repoRoot, 'dist/default-bundle.tar.gz'), '--entrypoint', 'envoy/authz/allow']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('entrypoint_not_found');
    expect(r.stderr).toContain('mcp/authz/decision');
  });

  it('refuses a broken bundle file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-authz-cli-'));
    const bad = join(dir, 'bundle.tar.gz');
    writeFileSync(bad, 'not a tarball');
    const r = runCli(['serve', '--bundle', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bundle_unreadable');
  });

  it('reports bad config files and env values with their paths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-authz-cli-'));
    const cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, 'grpc_addr: 127.0.0.1:0\nbody:\n  max_depth: 1\n  surprise: true\npolicy:\n  entrypoint: mcp/authz/decision\n');
    const r = runCli(['serve', '--config', cfg], { MCP_AUTHZ_MAX_BODY_BYTES: 'lots' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('body.max_depth');
    expect(r.stderr).toMatch(/surprise/);
    expect(r.stderr).toContain('MCP_AUTHZ_MAX_BODY_BYTES');
  });

  it('names the file, line, column and key of every config file problem, with the key meant (issue 22 §4)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-authz-cli-'));
    const write = (name: string, text: string): string => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const problems = (args: string[], env: Record<string, string> = {}): string[] => {
      const r = runCli(['serve', ...args], env);
      expect(r.code).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at |Unrecognized key|BAD_INDENT|^.*: ENOENT$/m);
      return r.stderr
        .split('\n')
        .filter((l) => l.startsWith('  - '))
        .map((l) => l.slice(4));
    };
    const typo = write('typo.yaml', 'grpc_adr: 127.0.0.1:0\nbody:\n  max_depth: 1\n  max_byte: 3\n  surprise: true\n');
    expect(problems(['--config', typo])).toEqual([
      `${typo}:1:1: grpc_adr: unknown key (did you mean grpc_addr?)`,
      `${typo}:3:3: body.max_depth: Too small: expected number to be >=2`,
      `${typo}:4:3: body.max_byte: unknown key (did you mean body.max_bytes?)`,
      `${typo}:5:3: body.surprise: unknown key (the keys here: max_bytes, max_depth, max_batch, malformed, raw_in_input)`,
    ]);
    const indent = write('indent.yaml', 'body:\n  max_depth: 8\n max_batch: 2\n');
    expect(problems(['--config', indent])).toEqual([
      `${indent}:3:1: YAML syntax error: All mapping items must start at the same column (fix the file; docs/configuration.md shows the format)`,
    ]);
    const flow = write('flow.yaml', 'policy:\n  data: [a.json\n');
    expect(problems(['--config', flow])[0]).toMatch(new RegExp(`^${flow}:3:1: YAML syntax error: Flow sequence .* end with a \\]`));
    const misplaced = write('misplaced.yaml', 'max_depth: 8\nbody:\n  max_batch: 2\n');
    expect(problems(['--config', misplaced])).toEqual([
      `${misplaced}:1:1: max_depth: unknown key (did you mean body.max_depth? it belongs in that section)`,
    ]);
    const twice = write('twice.yaml', 'grpc_addr: 127.0.0.1:0\ngrpc_addr: 127.0.0.1:1\n');
    expect(problems(['--config', twice])).toEqual([`${twice}:2:1: grpc_addr is set twice in the same mapping (keep one)`]);
    const list = write('list.yaml', '- grpc_addr: x\n');
    expect(problems(['--config', list])).toEqual([`${list}:1:1: the configuration must be a mapping of keys (grpc_addr: …), not a list`]);
    const missing = join(dir, 'nope.yaml');
    expect(problems(['--config', missing])).toEqual([
      `--config ${missing}: the config file ${missing} does not exist: give the path of a YAML config file (docs/configuration.md), or leave out --config to run on the defaults`,
    ]);
    expect(problems([], { MCP_AUTHZ_CONFIG: missing })[0]).toMatch(
      /^MCP_AUTHZ_CONFIG=.*nope\.yaml: the config file .* leave out MCP_AUTHZ_CONFIG to run/,
    );
    expect(problems(['--config', dir])).toEqual([
      `--config ${dir}: ${dir} is a directory: give the path of a YAML config file (docs/configuration.md)`,
    ]);
  });

  it('names the --data file that holds a bad guardrails key, and says what --bundle and --data take (issue 22 §4)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-authz-cli-'));
    const good = join(dir, 'hosts.json');
    writeFileSync(good, JSON.stringify({ mcp_authz: { approved_hosts: ['example.com'] } }));
    const bad = join(dir, 'extra.yaml');
    writeFileSync(bad, 'mcp_authz:\n  aproved_hosts: [x.com]\n');
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ mcp_authz: { bogus: 1 } }));
    const serve = (args: string[]) => runCli(['serve', '--workers', '1', ...args]);

    let r = serve(['--data', good, '--data', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`[data_invalid]: --data ${bad}: the guardrails configuration (data.mcp_authz) is invalid`);
    expect(r.stderr).toContain('data.mcp_authz: Unrecognized key: "aproved_hosts"');
    expect(r.stderr).not.toContain('default-bundle.tar.gz');
    expect(r.stderr).not.toContain(good);

    // Two files with a bad key each: each problem names its file.
    r = serve(['--data', bad, '--data', good, '--data', other]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--data ${bad}, --data ${other}: the guardrails configuration (data.mcp_authz) is invalid`);
    expect(r.stderr).toContain(`  - --data ${bad}: data.mcp_authz: Unrecognized key: "aproved_hosts"`);
    expect(r.stderr).toContain(`  - --data ${other}: data.mcp_authz: Unrecognized key: "bogus"`);

    r = serve(['--bundle', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `mcp-authz: cannot start [bundle_unreadable]: --bundle ${dir}: is a directory; --bundle takes a bundle file (opa build -t wasm … gives bundle.tar.gz, or a policy.wasm): for a directory of .rego files use --policy ${dir}`,
    );
    r = serve(['--data', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`[data_unreadable]: --data ${dir}: is a directory; --data takes a JSON or YAML file`);
    expect(r.stderr).not.toMatch(/EISDIR|\n\s+at /);
  });

  it('--policy compiles a Rego directory with the opa CLI at startup', async () => {
    const server = await startCli(['--policy', join(repoRoot, 'rego')]);
    const client = checkClient(`127.0.0.1:${server.grpcPort}`);
    try {
      const res = await client.check(mcpCheckRequest(toolCall('fetch_url', { url: 'https://malicious.com' })));
      expect(res.status.code).toBe(7);
    } finally {
      client.close();
      expect(await server.stop()).toBe(0);
    }
  });

  it('--data overrides the policy data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-authz-cli-'));
    const data = join(dir, 'data.yaml');
    writeFileSync(data, 'mcp_authz:\n  approved_hosts: [example.com]\n');
    const server = await startCli(['--data', data]);
    const client = checkClient(`127.0.0.1:${server.grpcPort}`);
    try {
      expect((await client.check(mcpCheckRequest(toolCall('fetch_url', { url: 'https://example.com/x' })))).status?.code ?? 0).toBe(0);
      expect((await client.check(mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' })))).status.code).toBe(7);
    } finally {
      client.close();
      await server.stop();
    }
  });
});
