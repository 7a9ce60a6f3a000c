import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
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
      'NetworkPolicy',
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
    // Every build of mcp-authz has its NetworkPolicy, selecting its pods; the Redis example's selects Redis's.
    for (const dir of ['base', 'overlays/audit-mode', 'overlays/production', 'overlays/bundle-server', 'examples/approvals-redis'])
      expect(r.stdout).toMatch(new RegExp(`^linked +NetworkPolicy → Deployment +mcp-authz/mcp-authz → mcp-authz +manifests/${dir}$`, 'm'));
    expect(r.stdout).toMatch(
      /^linked +NetworkPolicy → Deployment +mcp-authz\/mcp-authz-redis → mcp-authz-redis +manifests\/examples\/approvals-redis$/m,
    );
    expect(r.stdout).toMatch(/^linked +AuthorizationPolicy CUSTOM exemptions +gateway-system\/mcp-authz \/healthz,\/readyz +manifests\/istio$/m);
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
      [
        [
          'istio/authorizationpolicy.yaml',
          '  rules:\n    - to:\n        - operation:\n            notPaths: ["/healthz", "/readyz"]\n    - to:\n        - operation:\n            paths: ["/healthz", "/readyz"]\n            notMethods: ["GET", "HEAD"]\n',
          '',
        ],
      ],
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
    [
      'a CUSTOM policy on the /mcp paths only (/sse and /messages would go unchecked)',
      [['istio/authorizationpolicy.yaml', 'notPaths: ["/healthz", "/readyz"]', 'paths: ["/mcp", "/mcp/*"]']],
      'a policy on some paths (/mcp) leaves the others (/sse, /messages) unchecked',
    ],
    [
      'a CUSTOM exemption that is a pattern',
      [['istio/authorizationpolicy.yaml', 'notPaths: ["/healthz", "/readyz"]', 'notPaths: ["/healthz", "/m*"]']],
      'exemption "/m*" must be an exact path',
    ],
    [
      'a NetworkPolicy that selects no mcp-authz pod',
      [['base/networkpolicy.yaml', 'podSelector:\n    matchLabels:\n      app: mcp-authz', 'podSelector:\n    matchLabels:\n      app: mcp-authzz']],
      "podSelector map[app:mcp-authzz] selects no Deployment's pods in namespace mcp-authz",
    ],
    [
      'a NetworkPolicy on a port the pods do not have',
      [['examples/approvals-redis/networkpolicy.yaml', 'port: redis', 'port: rediss']],
      'port rediss is not a container port of Deployment mcp-authz-redis',
    ],
    ['a Kata pod below 2Gi', [['examples/isolation/agent-deployment.yaml', 'memory: 2Gi', 'memory: 1Gi']], 'at least 2Gi'],
  ])('rejects %s', async (_name, edits, message) => {
    const r = await validate(broken(edits));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
  });

  describe('the Redis example is locked down (docs/approvals.md#where-approvals-live)', () => {
    const ex = join(manifests, 'examples/approvals-redis');
    const docs = (file: string) => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJSON());
    const redisObjs = docs(join(ex, 'redis.yaml'));
    const deployment = redisObjs.find((o) => o.kind === 'Deployment');
    const container = deployment.spec.template.spec.containers[0];
    const fromSecret = { secretKeyRef: { name: 'mcp-authz-redis', key: 'password' } };

    it('Redis takes its password from the Secret, with protected mode on, and the password is in no file', () => {
      expect(container.env).toEqual([{ name: 'REDIS_PASSWORD', valueFrom: fromSecret }]);
      expect(container.command.join(' ')).toMatch(/redis-server \/etc\/redis\/redis\.conf - <<EOF\nrequirepass "\$\(printf %s "\$REDIS_PASSWORD"/);
      expect(container.args).toBeUndefined();
      expect(container.readinessProbe.exec.command.join(' ')).toContain('REDISCLI_AUTH="$REDIS_PASSWORD"');
      const conf = readFileSync(join(ex, 'redis.conf'), 'utf8');
      expect(conf).toMatch(/^protected-mode yes$/m);
      expect(conf).not.toMatch(/^\s*(requirepass|user)\b/m);
      // mcp-authz: the same Secret, through approvals.redis.password_env; the URL carries no password.
      const kustomization = read(join(ex, 'kustomization.yaml'));
      expect(kustomization.secretGenerator).toBeUndefined();
      const patch = parse(kustomization.patches[0].patch);
      expect(patch).toEqual([
        { op: 'add', path: '/spec/template/spec/containers/0/env/-', value: { name: 'REDIS_PASSWORD', valueFrom: fromSecret } },
      ]);
      const redisCfg = read(join(ex, 'config.yaml')).approvals.redis;
      expect(redisCfg.password_env).toBe('REDIS_PASSWORD');
      expect(new URL(redisCfg.url).password).toBe('');
    });

    it('no manifest holds a secret inline: no Secret objects, no password, token or secret env value', () => {
      for (const file of allFiles(manifests).filter((f) => f.endsWith('.yaml') && !f.includes('/mesh-config/'))) {
        for (const o of docs(file)) {
          expect(o?.kind, relative(repoRoot, file)).not.toBe('Secret');
          const walk = (v: unknown): void => {
            if (Array.isArray(v)) v.forEach(walk);
            else if (v && typeof v === 'object') {
              const e = v as { name?: unknown; value?: unknown };
              if (typeof e.name === 'string' && /PASSWORD|SECRET|TOKEN/i.test(e.name))
                expect(e.value, `${relative(repoRoot, file)} ${e.name}`).toBeUndefined();
              Object.values(v).forEach(walk);
            }
          };
          walk(o);
        }
        expect(readFileSync(file, 'utf8'), relative(repoRoot, file)).not.toMatch(/--protected-mode"?,? *"?no|requirepass [^"]/);
      }
    });

    it('Redis admits only mcp-authz: STRICT mTLS, an ALLOW policy for its service account, a NetworkPolicy for its pods', () => {
      const istio = docs(join(ex, 'istio.yaml'));
      const sa = read(join(manifests, 'base/serviceaccount.yaml')).metadata.name;
      const redisPods = deployment.spec.template.metadata.labels;
      const mcpAuthzPods = read(join(manifests, 'base/deployment.yaml')).spec.template.metadata.labels;
      const pa = istio.find((o) => o.kind === 'PeerAuthentication');
      expect(pa.spec).toEqual({ selector: { matchLabels: { app: redisPods.app } }, mtls: { mode: 'STRICT' } });
      const ap = istio.find((o) => o.kind === 'AuthorizationPolicy');
      expect(ap.spec).toEqual({
        selector: { matchLabels: { app: redisPods.app } },
        action: 'ALLOW',
        rules: [{ from: [{ source: { principals: [`cluster.local/ns/mcp-authz/sa/${sa}`] } }], to: [{ operation: { ports: ['6379'] } }] }],
      });
      const np = read(join(ex, 'networkpolicy.yaml'));
      expect(np.spec).toEqual({
        podSelector: { matchLabels: { app: redisPods.app } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { app: mcpAuthzPods.app } } }], ports: [{ port: 'redis', protocol: 'TCP' }] }],
      });
    });
  });

  it('gRPC is reachable only from the gateway pods the CUSTOM policy selects; metrics only from monitoring', () => {
    const np = read(join(manifests, 'base/networkpolicy.yaml'));
    const custom = read(join(manifests, 'istio/authorizationpolicy.yaml'));
    expect(np.spec.podSelector.matchLabels).toEqual({ app: 'mcp-authz' });
    expect(np.spec.policyTypes).toEqual(['Ingress']);
    const [grpc, metrics] = np.spec.ingress;
    expect(grpc).toEqual({
      from: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': custom.metadata.namespace } },
          podSelector: { matchLabels: custom.spec.selector.matchLabels },
        },
      ],
      ports: [{ port: 'grpc', protocol: 'TCP' }],
    });
    expect(metrics.ports.map((p: { port: unknown }) => p.port)).toEqual(['http-admin', 15020]);
    expect(np.spec.ingress).toHaveLength(2);
  });

  it('the CUSTOM policy covers every path on the gateway but the exemptions docs/istio.md lists', () => {
    const custom = read(join(manifests, 'istio/authorizationpolicy.yaml'));
    const exemptions = ['/healthz', '/readyz'];
    expect(custom.spec.rules).toEqual([
      { to: [{ operation: { notPaths: exemptions } }] },
      { to: [{ operation: { paths: exemptions, notMethods: ['GET', 'HEAD'] } }] },
    ]);
    const istioDoc = readFileSync(join(repoRoot, 'docs/istio.md'), 'utf8');
    const section = istioDoc.slice(istioDoc.indexOf('### What the gateway checks'));
    expect(section.length).toBeLessThan(istioDoc.length);
    for (const p of exemptions) expect(section).toContain(`\`${p}\``);
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
