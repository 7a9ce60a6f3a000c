import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { validatePackConfig } from '../../src/policy/pack-config.js';
import { repoRoot } from '../helpers/tools.js';

const run = promisify(execFile);
const manifests = join(repoRoot, 'manifests');
let validator: string;

async function validate(dir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(validator, [dir], { maxBuffer: 8 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('manifests, validated offline against the real Kubernetes and Istio API types', () => {
  beforeAll(async () => {
    // Build the Go validator (k8s.io/api, istio.io/api, kustomize): minutes on a bare machine, seconds when cached.
    validator = join(mkdtempSync(join(tmpdir(), 'mcp-authz-validate-')), 'validate-manifests');
    await run('go', ['build', '-o', validator, '.'], { cwd: join(repoRoot, 'scripts/validate-manifests'), env: { ...process.env, GOFLAGS: '-mod=mod' }, maxBuffer: 16 * 1024 * 1024 });
  }, 900_000);

  it('every kustomization builds, every object decodes strictly, every reference resolves', async () => {
    const r = await validate(manifests);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const kind of ['Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'AuthorizationPolicy', 'PeerAuthentication', 'DestinationRule', 'ServiceEntry', 'IstioOperator']) {
      expect(r.stdout).toContain(` ${kind} `);
    }
    expect(r.stdout).toMatch(/linked AuthorizationPolicy mcp-authz → provider mcp-authz → Service mcp-authz:9191/);
    expect(r.stdout).toMatch(/manifests\/overlays\/audit-mode/);
  });

  const broken = (edit: (dir: string) => void) => {
    const dir = join(mkdtempSync(join(tmpdir(), 'mcp-authz-broken-')), 'manifests');
    cpSync(manifests, dir, { recursive: true });
    edit(dir);
    return dir;
  };
  const replaceIn = (file: string, from: string, to: string) => {
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(from);
    writeFileSync(file, text.replace(from, to));
  };

  it.each([
    ['an unknown Deployment field', (d: string) => replaceIn(join(d, 'base/deployment.yaml'), '  replicas: 2', '  replicas: 2\n  replicaz: 3'), 'unknown field'],
    ['a Service targetPort that names no container port', (d: string) => replaceIn(join(d, 'base/service.yaml'), 'targetPort: grpc', 'targetPort: grpcc'), 'targetPort "grpcc"'],
    ['a misspelt extension provider field', (d: string) => replaceIn(join(d, 'istio/mesh-extension-provider.yaml'), 'failOpen: false', 'failopen: false'), 'failopen'],
    ['an AuthorizationPolicy naming an undeclared provider', (d: string) => replaceIn(join(d, 'istio/authorizationpolicy.yaml'), 'name: mcp-authz\n  rules', 'name: opa-authz\n  rules'), 'deny-due-to-bad-CUSTOM-action'],
    ['a provider pointing at the wrong port', (d: string) => replaceIn(join(d, 'istio/mesh-extension-provider.yaml'), 'port: 9191', 'port: 9000'), 'is not the grpc port'],
    ['maxRequestBytes above 1 MiB', (d: string) => replaceIn(join(d, 'istio/mesh-extension-provider.yaml'), 'maxRequestBytes: 65536', 'maxRequestBytes: 2097152'), 'at most 1 MiB'],
    ['a probe on a missing port', (d: string) => replaceIn(join(d, 'base/deployment.yaml'), 'path: /readyz\n              port: http-admin', 'path: /readyz\n              port: admin'), 'probe port "admin"'],
  ])('rejects %s', async (_name, edit, message) => {
    const r = await validate(broken(edit));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(message);
  });

  it('the ConfigMaps hold a valid mcp-authz config and guardrails document', () => {
    const config = parse(readFileSync(join(manifests, 'base/config.yaml'), 'utf8'));
    const parsed = configSchema.safeParse(config);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
    for (const file of ['base/guardrails.yaml', 'overlays/audit-mode/guardrails.yaml']) {
      expect(validatePackConfig(parse(readFileSync(join(manifests, file), 'utf8')).mcp_authz)).toEqual([]);
    }
    // The Deployment mounts the guardrails where config.yaml's policy.data expects them.
    const deployment = parseAllDocuments(readFileSync(join(manifests, 'base/deployment.yaml'), 'utf8'))[0]!.toJSON();
    const mounts = deployment.spec.template.spec.containers[0].volumeMounts.map((m: { mountPath: string }) => m.mountPath);
    for (const data of parsed.success ? parsed.data.policy.data : []) expect(mounts.some((m: string) => data.startsWith(`${m}/`))).toBe(true);
    expect(deployment.spec.template.spec.containers[0].args).toEqual(['--config', '/etc/mcp-authz/config/config.yaml']);
  });

  it('the extension provider has the fields the deployment guide promises', () => {
    const op = parse(readFileSync(join(manifests, 'istio/mesh-extension-provider.yaml'), 'utf8'));
    const p = op.spec.meshConfig.extensionProviders[0];
    expect(p.name).toBe('mcp-authz');
    expect(p.envoyExtAuthzGrpc).toMatchObject({
      service: 'mcp-authz.mcp-authz.svc.cluster.local',
      port: 9191,
      failOpen: false,
      statusOnError: '503',
      includeRequestBodyInCheck: { maxRequestBytes: 65536, allowPartialMessage: true, packAsBytes: true },
    });
  });
});
