import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { validatePackConfig } from '../../src/pack/pack-config.js';
import { repoRoot } from '../helpers/tools.js';

const run = promisify(execFile);
const manifests = join(repoRoot, 'manifests');
const tmp = mkdtempSync(join(tmpdir(), 'mcp-authz-manifests-'));
const validator = join(tmp, 'validate-manifests');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function validate(dir: string, cwd?: string): Promise<Result> {
  try {
    const { stdout, stderr } = await run(validator, [dir], { cwd, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as Result;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f));
}

const yamlFiles = (name: string) => allFiles(manifests).filter((f) => f.endsWith(`/${name}`));
const read = (file: string) => parse(readFileSync(file, 'utf8'));

describe('manifests, validated offline with kustomize and the real Kubernetes and Istio API types', () => {
  beforeAll(async () => {
    // k8s.io/api, istio.io/api and kustomize: about a minute and a half on a bare 2-core machine (module
    // downloads included), seconds once Go's caches are warm. -mod=readonly: the versions in go.mod/go.sum only.
    await run('go', ['build', '-mod=readonly', '-o', validator, '.'], {
      cwd: join(repoRoot, 'scripts/validate-manifests'),
      maxBuffer: 16 * 1024 * 1024,
    });
  }, 900_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('every kustomization builds, every object and mesh-config patch decodes strictly, every reference resolves', async () => {
    const r = await validate('manifests', repoRoot); // paths printed relative to the repository
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    // One line per object, for every kustomization (base, istio, each overlay and example).
    const kustomizations = yamlFiles('kustomization.yaml').map((f) => relative(repoRoot, join(f, '..')));
    expect(kustomizations.length).toBeGreaterThanOrEqual(7);
    for (const dir of kustomizations)
      expect(
        lines.some((l) => l.startsWith('ok ') && l.endsWith(dir)),
        dir,
      ).toBe(true);
    for (const kind of [
      'Namespace',
      'ServiceAccount',
      'Deployment',
      'Service',
      'ConfigMap',
      'PodDisruptionBudget',
      'HorizontalPodAutoscaler',
      'AuthorizationPolicy',
      'PeerAuthentication',
      'DestinationRule',
      'ServiceEntry',
      'Sidecar',
    ]) {
      expect(
        lines.some((l) => new RegExp(`^ok +\\S+ ${kind} `).test(l)),
        kind,
      ).toBe(true);
    }
    // Every mesh-config patch, in each of its forms.
    for (const file of allFiles(manifests).filter((f) => f.includes('/mesh-config/'))) {
      expect(
        lines.some((l) => l.startsWith('ok ') && l.endsWith(relative(repoRoot, file))),
        file,
      ).toBe(true);
    }
    expect(r.stdout).toMatch(/^linked +AuthorizationPolicy CUSTOM → provider +gateway-system\/mcp-authz → mcp-authz /m);
    for (const overlay of ['base', 'overlays/audit-mode', 'overlays/production', 'overlays/bundle-server']) {
      expect(r.stdout).toMatch(new RegExp(`^linked +provider mcp-authz → Service +mcp-authz/mcp-authz:9191 \\(grpc\\) +manifests/${overlay}$`, 'm'));
      expect(r.stdout).toMatch(new RegExp(`^linked +config /etc/mcp-authz/config/config.yaml +grpc 9191, admin 8181 +manifests/${overlay}$`, 'm'));
    }
    expect(lines.at(-1)).toMatch(/^no problems: \d+ objects from \d+ kustomizations, \d+ mesh-config patches$/);
  });

  const broken = (edits: [file: string, from: string, to: string][]) => {
    const dir = mkdtempSync(join(tmp, 'broken-'));
    cpSync(manifests, join(dir, 'manifests'), { recursive: true });
    for (const [file, from, to] of edits) {
      const path = join(dir, 'manifests', file);
      const text = readFileSync(path, 'utf8');
      expect(text, `${file} contains ${JSON.stringify(from)}`).toContain(from);
      writeFileSync(path, text.replace(from, to));
    }
    return join(dir, 'manifests');
  };
  const inEveryMeshConfig = (from: string, to: string): [string, string, string][] =>
    readdirSync(join(manifests, 'istio/mesh-config')).map((f) => [`istio/mesh-config/${f}`, from, to]);

  it.each<[string, [string, string, string][], string]>([
    ['an unknown Deployment field', [['base/deployment.yaml', '  replicas: 2', '  replicas: 2\n  replicaz: 3']], 'unknown field "spec.replicaz"'],
    [
      'a field with the wrong case (the API server is case-sensitive)',
      [['base/deployment.yaml', 'readinessProbe:', 'readinessprobe:']],
      'unknown field "spec.template.spec.containers[0].readinessprobe"',
    ],
    [
      'a Service targetPort that names no container port',
      [['base/service.yaml', 'targetPort: grpc', 'targetPort: grpcc']],
      'targets grpcc, which is not a container port',
    ],
    [
      'a probe on a port the container does not have',
      [['base/deployment.yaml', 'path: /readyz\n              port: http-admin', 'path: /readyz\n              port: admin']],
      'readinessProbe port admin is not a port of the container',
    ],
    ['an unknown field in an Istio spec', [['istio/authorizationpolicy.yaml', 'action: CUSTOM', 'actions: CUSTOM']], 'unknown field "actions"'],
    [
      'a misspelt extension provider field',
      [['istio/mesh-config/sail-istio-patch.yaml', 'failOpen: false', 'failopen: false']],
      'unknown field "failopen"',
    ],
    [
      'a snake_case field Istio would not read',
      [['istio/mesh-config/helm-values.yaml', 'includeRequestBodyInCheck:', 'include_request_body_in_check:']],
      'write "includeRequestBodyInCheck"',
    ],
    [
      'mesh-config files that disagree',
      [['istio/mesh-config/sail-istio-patch.yaml', 'timeout: 0.5s', 'timeout: 5s']],
      'declare different mesh config',
    ],
    [
      'an AuthorizationPolicy naming an undeclared provider',
      [['istio/authorizationpolicy.yaml', 'name: mcp-authz                         #', 'name: opa-authz                         #']],
      'deny-due-to-bad-CUSTOM-action',
    ],
    [
      'a CUSTOM policy without rules',
      [['istio/authorizationpolicy.yaml', '  rules:\n    - to:\n        - operation:\n            paths: ["/mcp", "/mcp/*"]\n', '']],
      'matches no request',
    ],
    ['a provider on the wrong port', inEveryMeshConfig('port: 9191', 'port: 9000'), 'port 9000 is not a port of Service mcp-authz/mcp-authz'],
    ['a provider that fails open', inEveryMeshConfig('failOpen: false', 'failOpen: true'), 'failOpen must be false'],
    ['maxRequestBytes above 1 MiB', inEveryMeshConfig('maxRequestBytes: 65536', 'maxRequestBytes: 2097152'), 'between 1 and 1 MiB'],
    [
      'a config binding gRPC elsewhere than the grpc port',
      [['base/config.yaml', 'grpc_addr: 0.0.0.0:9191', 'grpc_addr: 0.0.0.0:9292']],
      'container port "grpc" must be 9292',
    ],
    [
      'a grace period shorter than the drain',
      [['base/deployment.yaml', 'terminationGracePeriodSeconds: 30', 'terminationGracePeriodSeconds: 12']],
      'terminationGracePeriodSeconds 12 must exceed',
    ],
    [
      'an overlay that drops readOnlyRootFilesystem',
      [
        [
          'overlays/production/kustomization.yaml',
          '        path: /spec/replicas\n        value: 3\n',
          '        path: /spec/replicas\n        value: 3\n      - op: remove\n        path: /spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem\n',
        ],
      ],
      'overlays/production: Deployment mcp-authz/mcp-authz container mcp-authz: readOnlyRootFilesystem must be true',
    ],
    [
      'a PodDisruptionBudget that blocks every eviction',
      [['overlays/production/kustomization.yaml', 'path: /spec/minAvailable\n        value: 2', 'path: /spec/minAvailable\n        value: 3']],
      'no pod could ever be evicted',
    ],
    ['an HPA on CPU without a CPU request', [['base/deployment.yaml', '              cpu: 250m\n', '']], 'has no cpu request'],
    [
      'a snake_case field in an Istio resource (its CRD schema would refuse it)',
      [['examples/egress/sidecar.yaml', '  outboundTrafficPolicy:', '  outbound_traffic_policy:']],
      'write "outboundTrafficPolicy"',
    ],
    [
      'a PeerAuthentication that selects no mcp-authz pod',
      [['istio/peerauthentication.yaml', 'app: mcp-authz', 'app: mcp-authzz']],
      "selects no Deployment's pods in namespace mcp-authz",
    ],
    ['a Kata pod below 2Gi', [['examples/isolation/agent-deployment.yaml', 'memory: 2Gi', 'memory: 1Gi']], 'at least 2Gi'],
  ])('rejects %s', async (_name, edits, message) => {
    const r = await validate(broken(edits));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
  });

  it('every mcp-authz config in the ConfigMaps is valid for the server’s own schema', () => {
    const configs = yamlFiles('config.yaml');
    expect(configs.length).toBeGreaterThanOrEqual(2);
    for (const file of configs) {
      const parsed = configSchema.safeParse(read(file));
      expect(parsed.success ? [] : parsed.error.issues, relative(repoRoot, file)).toEqual([]);
    }
  });

  it('the guardrails documents are valid, and audit mode differs from base only in the mode', () => {
    const base = read(join(manifests, 'base/guardrails.yaml')).mcp_authz;
    const audit = read(join(manifests, 'overlays/audit-mode/guardrails.yaml')).mcp_authz;
    expect(validatePackConfig(base)).toEqual([]);
    expect(validatePackConfig(audit)).toEqual([]);
    expect([base.mode, audit.mode]).toEqual(['enforce', 'audit']);
    expect({ ...audit, mode: base.mode }).toEqual(base);
  });

  it('layer 2 lets through what layer 1 approves: the ServiceEntry covers the guardrails’ approved hosts', () => {
    const entry = read(join(manifests, 'examples/egress/serviceentry.yaml'));
    const approved: string[] = read(join(manifests, 'base/guardrails.yaml')).mcp_authz.approved_hosts;
    expect(entry.spec.hosts).toEqual(expect.arrayContaining(approved));
    expect(entry.spec.ports.map((p: { number: number }) => p.number)).toEqual([443]);
  });

  it('the extension provider is the one the deployment guide documents, in every form', () => {
    for (const file of readdirSync(join(manifests, 'istio/mesh-config'))) {
      const doc = read(join(manifests, 'istio/mesh-config', file));
      const meshConfig = doc.spec?.meshConfig ?? doc.spec?.values?.meshConfig ?? doc.meshConfig;
      expect(meshConfig.extensionProviders, file).toEqual([
        {
          name: 'mcp-authz',
          envoyExtAuthzGrpc: {
            service: 'mcp-authz.mcp-authz.svc.cluster.local',
            port: 9191,
            timeout: '0.5s',
            failOpen: false,
            statusOnError: '503',
            includeRequestBodyInCheck: { maxRequestBytes: 65536, allowPartialMessage: true, packAsBytes: true },
          },
        },
      ]);
    }
  });
});
