import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { repoRoot } from '../helpers/tools.js';
import { dockerfileText, dockerignore, parseStages, stageNamed, steps } from './dockerfile-model.js';

const text = dockerfileText();
const stages = parseStages(text);
const [policy, build, runtime] = [stageNamed(stages, 'policy'), stageNamed(stages, 'build'), stageNamed(stages, 'runtime')];
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string>; engines: { node: string } };
const defaults = configSchema.parse({});
const port = (addr: string) => addr.slice(addr.lastIndexOf(':') + 1);

describe('Dockerfile', () => {
  it('is valid for dockerfile-utils, the linter of the VS Code Docker extension', () => {
    expect(validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('has the policy, build and runtime stages, in that order, the last one being the image', () => {
    expect(stages.map((s) => s.name)).toEqual(['policy', 'build', 'runtime']);
  });

  it('pins every base image to an exact version, and the OPA image to the project’s pinned OPA', () => {
    for (const s of stages) {
      expect(s.image.digest ?? s.image.tag, `${s.name} base image`).toMatch(/^(sha256:[0-9a-f]{64}|v?\d+\.\d+\.\d+[\w.-]*)$/);
      expect(s.image.tag).not.toBe('latest');
    }
    const opaVersion = /^OPA_VERSION=v?(\S+)$/m.exec(readFileSync(join(repoRoot, 'scripts/tool-versions.sh'), 'utf8'))?.[1];
    expect(policy.image).toMatchObject({ name: 'openpolicyagent/opa', tag: `${opaVersion}-static` });
    // Node 24 LTS, and a release that satisfies package.json's engines (">=24.11").
    const minimum = /^>=(\d+)\.(\d+)$/.exec(pkg.engines.node)!.slice(1).map(Number);
    for (const s of [build, runtime]) {
      expect(s.image.name).toBe('node');
      const [major, minor] = s.image.tag!.split(/[.-]/).map(Number);
      expect(major).toBe(24);
      expect(minor).toBeGreaterThanOrEqual(minimum[1]!);
    }
    expect(runtime.image.tag).toBe(build.image.tag); // the modules are installed by the Node that runs them
  });

  it('compiles rego/ to WebAssembly for the entrypoint the server defaults to, without the tests', () => {
    const run = steps(policy, 'RUN');
    expect(run).toHaveLength(1);
    const argv = run[0]!.exec; // exec form: the OPA image has no shell
    expect(argv?.slice(0, 2)).toEqual(['/opa', 'build']);
    const flag = (name: string) => argv!.flatMap((a, i) => (a === name ? [argv![i + 1]] : []));
    expect(flag('-t')).toEqual(['wasm']);
    expect(flag('-e')).toEqual([defaults.policy.entrypoint]);
    expect(flag('--ignore')).toContain('*_test.rego');
    expect(steps(policy, 'COPY').map((c) => c.args)).toEqual([['rego/', 'rego/']]);
  });

  it('builds with the lockfile, embeds the policy bundle where the server looks for it, then drops dev dependencies', () => {
    const s = steps(build);
    const index = (pred: (x: (typeof s)[number]) => boolean) => s.findIndex(pred);
    const lockCopy = index((x) => x.keyword === 'COPY' && x.args.includes('package-lock.json'));
    const ci = index((x) => x.keyword === 'RUN' && /^npm ci\b/.test(x.args.join(' ')));
    const tsc = index((x) => x.keyword === 'RUN' && /\btsc -p tsconfig\.json\b/.test(x.args.join(' ')));
    const bundle = index((x) => x.keyword === 'COPY' && x.fromStage === 'policy');
    const prune = index((x) => x.keyword === 'RUN' && /^npm prune --omit=dev\b/.test(x.args.join(' ')));
    expect([lockCopy, ci, tsc, bundle, prune].every((i) => i >= 0)).toBe(true);
    expect(lockCopy).toBeLessThan(ci);
    expect(ci).toBeLessThan(tsc);
    expect(tsc).toBeLessThan(prune);
    expect(prune).toBe(s.length - 1);
    // src/package-root.ts: defaultBundlePath() is <package root>/dist/default-bundle.tar.gz.
    expect(s[bundle]!.args).toEqual(['/src/default-bundle.tar.gz', 'dist/default-bundle.tar.gz']);
    expect(steps(policy, 'RUN')[0]!.exec).toContain('/src/default-bundle.tar.gz');
  });

  it('takes a proxy CA for npm in the build stage only (ARG NPM_CONFIG_CA, no default), before npm ci', () => {
    const arg = steps(build, 'ARG');
    expect(arg.map((a) => a.args.join(' '))).toEqual(['NPM_CONFIG_CA']);
    const ci = steps(build, 'RUN').find((r) => /^npm ci\b/.test(r.args.join(' ')))!;
    expect(arg[0]!.line).toBeLessThan(ci.line);
    // The runtime stage declares no ARG, so neither its environment nor its history can hold the CA.
    expect(steps(policy, 'ARG')).toEqual([]);
    expect(steps(runtime, 'ARG')).toEqual([]);
  });

  it('runs as uid 65532, exposes the gRPC and admin ports, enters through `mcp-authz serve` in exec form', () => {
    const user = steps(runtime, 'USER');
    expect(user.map((u) => u.args.join(' '))).toEqual(['65532:65532']); // numeric: runAsNonRoot can verify it
    expect(Math.max(...steps(runtime, 'RUN').map((r) => r.line))).toBeLessThan(user[0]!.line);
    expect(
      steps(runtime, 'EXPOSE')
        .flatMap((e) => e.args)
        .sort(),
    ).toEqual([port(defaults.grpc_addr), port(defaults.http_addr)].sort());
    const entrypoint = steps(runtime, 'ENTRYPOINT');
    expect(entrypoint).toHaveLength(1);
    expect(entrypoint[0]!.exec).toEqual(['mcp-authz', 'serve']);
    expect(steps(runtime, 'CMD')).toEqual([]);
    // `mcp-authz` on PATH is package.json's bin, linked as npm would link it.
    const run = steps(runtime, 'RUN')
      .map((r) => r.args.join(' '))
      .join('\n');
    expect(run).toContain(`ln -s /app/${pkg.bin['mcp-authz']!.replace(/^\.\//, '')} /usr/local/bin/mcp-authz`);
    expect(run).toMatch(/useradd --uid 65532 --gid 65532/);
    expect(steps(build, 'RUN').some((r) => r.args.join(' ').includes(`chmod 0755 ${pkg.bin['mcp-authz']}`))).toBe(true);
  });

  it('makes /var/lib/mcp-authz owned by 65532, where docs/docker.md mounts the approvals volume', () => {
    // A named volume mounted there first copies the directory's owner and mode: without it the volume is root's
    // and the approvals' SQLite file cannot be created (approvals_store_unavailable, EACCES).
    const run = steps(runtime, 'RUN')
      .map((r) => r.args.join(' '))
      .join('\n');
    expect(run).toMatch(/install -d -o 65532 -g 65532 -m 0700 \/var\/lib\/mcp-authz(\s|$)/);
    const doc = readFileSync(join(repoRoot, 'docs/docker.md'), 'utf8');
    expect(doc).toContain('-v mcp-authz-state:/var/lib/mcp-authz mcp-authz --approvals-db /var/lib/mcp-authz/approvals.db');
  });

  it('copies only the built package into the image, and never ADDs anything remote', () => {
    const copies = steps(runtime, 'COPY');
    expect(copies.every((c) => c.fromStage === 'build')).toBe(true);
    expect(copies.map((c) => c.args)).toEqual([
      ['/app/package.json', './package.json'],
      ['/app/node_modules', './node_modules'],
      ['/app/dist', './dist'],
      ['/app/proto', './proto'],
    ]);
    for (const s of stages) expect(steps(s, 'ADD')).toEqual([]);
  });
});

describe('.dockerignore', () => {
  const ig = dockerignore();
  const contextSources = stages.flatMap((s) =>
    steps(s, 'COPY')
      .filter((c) => !c.fromStage)
      .flatMap((c) => c.args.slice(0, -1)),
  );

  function files(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory())
        return ['node_modules', '.git', 'dist', 'build', '.tools'].includes(e.name) ? [`${relative(repoRoot, path)}/x`] : files(path);
      return [relative(repoRoot, path)];
    });
  }

  it('sends every file the Dockerfile copies', () => {
    expect(contextSources.sort()).toEqual(['package-lock.json', 'package.json', 'proto/', 'rego/', 'src/', 'tsconfig.json']);
    const sent = files(repoRoot).filter((f) => !ig.ignores(f));
    for (const source of contextSources) expect(sent.some((f) => f === source || f.startsWith(source))).toBe(true);
    expect(sent).toContain('src/main.ts');
    expect(sent).toContain('rego/mcp_authz.rego');
  });

  it('sends nothing else: no node_modules, dist, .git, tools, tests or rego tests', () => {
    const sent = files(repoRoot).filter((f) => !ig.ignores(f));
    expect(sent.filter((f) => !contextSources.some((s) => f === s || f.startsWith(s)))).toEqual([]);
    expect(sent.filter((f) => f.endsWith('_test.rego'))).toEqual([]);
    for (const f of [
      'node_modules/x',
      'dist/main.js',
      '.git/HEAD',
      '.tools/bin/opa',
      'test/deploy/dockerfile.test.ts',
      'manifests/base/deployment.yaml',
    ]) {
      expect(ig.ignores(f), f).toBe(true);
    }
  });
});
