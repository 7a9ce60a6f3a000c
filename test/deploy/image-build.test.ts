import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, toolPath } from '../helpers/tools.js';
import { dockerfileText } from './dockerfile-model.js';
import { type ReplayedImage, replayDockerfile } from './replay-dockerfile.js';

// The Docker smoke test without Docker: replay the Dockerfile's stages (test/deploy/replay-dockerfile.ts), then run
// the result the way the base Deployment runs the image (its ENTRYPOINT, the Deployment's args, the ConfigMaps
// mounted where the Deployment mounts them) and check it as scripts/docker-smoke.sh does, with grpcurl.

const exec = promisify(execFile);
const manifests = join(repoRoot, 'manifests/base');
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
/** Packages only the development tools need (package-lock marks them dev: true). */
const devOnly = Object.entries(lock.packages).flatMap(([path, p]) =>
  p.dev && path.startsWith('node_modules/') ? [path.slice('node_modules/'.length)] : [],
);

let tmp: string;
let image: ReplayedImage;
let child: ChildProcess;
let exited: Promise<number | null>;
let grpcAddr: string;
let httpBase: string;
let before: string[];

/** Every path under dir with its size and mtime, to show the server wrote nothing there. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((p) => {
      const s = lstatSync(join(dir, p));
      return `${p} ${s.size} ${s.mtimeMs}`;
    })
    .sort();
}

/** Mount the base Deployment's ConfigMaps into the image root, as the kubelet would. Returns the container args. */
function mountConfigMaps(root: string): string[] {
  const deployment = parse(readFileSync(join(manifests, 'deployment.yaml'), 'utf8'));
  const kustomization = parse(readFileSync(join(manifests, 'kustomization.yaml'), 'utf8'));
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const mounts: { mountPath: string; name: string }[] = container.volumeMounts;
  for (const m of mounts) {
    const volume = pod.volumes.find((v: { name: string }) => v.name === m.name);
    const generator = kustomization.configMapGenerator.find((g: { name: string }) => g.name === volume.configMap.name);
    for (const file of generator.files as string[]) {
      let text = readFileSync(join(manifests, file), 'utf8');
      for (const other of mounts) text = text.replaceAll(other.mountPath, join(root, other.mountPath)); // absolute paths inside the pod
      mkdirSync(join(root, m.mountPath), { recursive: true });
      writeFileSync(join(root, m.mountPath, basename(file)), text);
    }
  }
  return (container.args as string[]).map((a) => (a.startsWith('/') ? join(root, a) : a));
}

async function grpcurl(args: string[], stdin?: string): Promise<string> {
  const p = exec(toolPath('grpcurl'), ['-plaintext', ...args], { timeout: 30_000 });
  if (stdin !== undefined) p.child.stdin!.end(stdin);
  return (await p).stdout;
}

/** A Check as the gateway sends it with the shipped extension provider: packAsBytes (raw_body), whole body. */
const check = (url: string) =>
  grpcurl(
    ['-d', '@', grpcAddr, 'envoy.service.auth.v3.Authorization/Check'],
    JSON.stringify({
      attributes: {
        source: { principal: 'spiffe://cluster.local/ns/agent-sandbox/sa/support-agent' },
        request: {
          http: {
            method: 'POST',
            path: '/mcp',
            host: 'mcp.127-0-0-1.sslip.io',
            headers: { 'content-type': 'application/json', 'x-envoy-auth-partial-body': 'false' },
            rawBody: Buffer.from(
              JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'fetch_url', arguments: { url } } }),
            ).toString('base64'),
          },
        },
      },
    }),
  ).then((out) => JSON.parse(out));

describe('the image, replayed from the Dockerfile without Docker and run as the base Deployment runs it', () => {
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'mcp-authz-image-'));
    const env = {
      ...process.env,
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
      npm_config_prefer_offline: 'true',
      npm_config_update_notifier: 'false',
    };
    image = await replayDockerfile(dockerfileText(), tmp, env);

    const args = mountConfigMaps(image.root);
    const pathDirs = ['/usr/local/bin'].map((d) => join(image.root, d));
    const program = pathDirs.map((d) => join(d, image.entrypoint[0]!)).find((p) => existsSync(p));
    if (!program) throw new Error(`${image.entrypoint[0]} is not on the image's PATH`);
    before = snapshot(image.root);
    // Only the image's ENV and a PATH where `/usr/bin/env node` finds Node (as in node:24-slim), plus a longer
    // evaluation deadline: on a test machine starved by parallel suites the Deployment's 100 ms can pass before the
    // first evaluation ends (the deadline has its own tests in test/integration/eval-deadline.test.ts).
    child = spawn(
      program,
      [...image.entrypoint.slice(1), ...args, '--grpc-addr', '127.0.0.1:0', '--http-addr', '127.0.0.1:0', '--admin-addr', '127.0.0.1:0'],
      {
        cwd: join(image.root, image.workdir),
        env: { ...image.env, PATH: `${dirname(process.execPath)}${delimiter}/usr/bin${delimiter}/bin`, MCP_AUTHZ_EVAL_TIMEOUT_MS: '10000' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    const started = await new Promise<{ grpc_port: number; http_port: number }>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        for (const line of out.split('\n')) {
          if (line.includes('"mcp-authz started"')) resolve(JSON.parse(line));
        }
      });
      child.on('exit', (code) => reject(new Error(`exited with ${code} before starting: ${err}`)));
    });
    grpcAddr = `127.0.0.1:${started.grpc_port}`;
    httpBase = `http://127.0.0.1:${started.http_port}`;
  }, 600_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('holds only the built package: production dependencies, dist with the policy bundle, proto', () => {
    const app = join(image.root, image.workdir);
    expect(readdirSync(app).sort()).toEqual(['dist', 'node_modules', 'package.json', 'proto']);
    for (const dep of Object.keys(pkg.dependencies)) expect(existsSync(join(app, 'node_modules', dep)), dep).toBe(true);
    expect(devOnly).toEqual(expect.arrayContaining(['typescript', 'vitest']));
    expect(devOnly.filter((dev) => existsSync(join(app, 'node_modules', dev)))).toEqual([]);
    expect(existsSync(join(app, 'dist/default-bundle.tar.gz'))).toBe(true);
    expect(readdirSync(join(app, 'dist')).filter((f) => f.endsWith('.ts'))).toEqual([]);
    expect(realpathSync(join(image.root, 'usr/local/bin/mcp-authz'))).toBe(join(app, 'dist/main.js'));
    expect(lstatSync(join(app, 'dist/main.js')).mode & 0o111).not.toBe(0);
    expect(image.user).toBe('65532:65532');
    expect(image.env.NODE_ENV).toBe('production');
  });

  it('serves the Authorization, Health and reflection services (grpcurl list)', async () => {
    const services = (await grpcurl([grpcAddr, 'list'])).split('\n');
    expect(services).toEqual(expect.arrayContaining(['envoy.service.auth.v3.Authorization', 'grpc.health.v1.Health']));
    const health = JSON.parse(await grpcurl(['-d', '{"service":"envoy.service.auth.v3.Authorization"}', grpcAddr, 'grpc.health.v1.Health/Check']));
    expect(health.status).toBe('SERVING');
  });

  it('answers the scenario’s demo: malicious.com and the metadata endpoint denied, httpbin.org allowed', async () => {
    const denied = await check('https://malicious.com');
    expect(denied.status.code).toBe(7);
    expect(denied.deniedResponse.status.code).toBe('Forbidden');
    expect(JSON.parse(denied.deniedResponse.body).rule).toBe('url_not_allowed');

    const allowed = await check('https://httpbin.org/get');
    expect(allowed.status?.code ?? 0).toBe(0);
    expect(allowed.okResponse).toBeDefined();

    const imds = await check('http://169.254.169.254/latest/meta-data');
    expect(imds.status.code).toBe(7);
    expect(JSON.parse(imds.deniedResponse.body).rule).toBe('metadata_endpoint');
  });

  it('answers the probes the Deployment declares on the admin port, and serves metrics', async () => {
    expect((await fetch(`${httpBase}/readyz`)).status).toBe(200);
    expect((await fetch(`${httpBase}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${httpBase}/metrics`)).text();
    expect(metrics).toMatch(/^# TYPE \S+ /m);
  });

  it('writes nothing into the image’s filesystem (readOnlyRootFilesystem) and exits 0 on SIGTERM', async () => {
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(snapshot(image.root)).toEqual(before);
  });
});
