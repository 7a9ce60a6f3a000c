import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/tools.js';

interface Instruction {
  op: string;
  args: string;
  line: number;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Parse a Dockerfile: comments dropped, backslash continuations joined, instructions grouped by stage. */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    const start = i + 1;
    if (!line || line.startsWith('#')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1).trim()} ${lines[++i]!.trim()}`;
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`line ${start}: cannot parse ${line}`);
    const op = m[1]!.toUpperCase();
    const args = m[2]!;
    if (op === 'FROM') {
      const [image, as, name] = args.split(/\s+/);
      stages.push({ from: image!, ...(as?.toUpperCase() === 'AS' ? { name: name! } : {}), instructions: [] });
    } else {
      if (!stages.length) throw new Error(`line ${start}: ${op} before FROM`);
      stages.at(-1)!.instructions.push({ op, args, line: start });
    }
  }
  return stages;
}

const stages = parseDockerfile(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
const runtime = stages.at(-1)!;
const ops = (s: Stage, op: string) => s.instructions.filter((i) => i.op === op);

describe('Dockerfile', () => {
  it('has the policy, build and runtime stages, in order', () => {
    expect(stages.map((s) => s.name)).toEqual(['policy', 'build', 'runtime']);
    expect(stages[0]!.from).toMatch(/^openpolicyagent\/opa:1\.22\.2-static$/);
    expect(ops(stages[0]!, 'RUN')[0]!.args).toContain('"-t", "wasm"');
    expect(ops(stages[1]!, 'RUN').map((i) => i.args).join('\n')).toMatch(/npm prune --omit=dev/);
  });

  it('pins every base image (no latest, no untagged)', () => {
    for (const s of stages) {
      expect(s.from).toMatch(/:[\w.-]+$/);
      expect(s.from).not.toMatch(/:latest$/);
    }
    expect(runtime.from).toMatch(/^node:20\.\d+\.\d+-bookworm-slim$/);
  });

  it('runs as non-root uid 65532, exposes 9191 and 8181, enters through mcp-authz serve (exec form)', () => {
    expect(ops(runtime, 'USER').map((i) => i.args)).toEqual(['65532:65532']);
    expect(ops(runtime, 'EXPOSE').map((i) => i.args.split(/\s+/)).flat().sort()).toEqual(['8181', '9191']);
    const entrypoint = ops(runtime, 'ENTRYPOINT');
    expect(entrypoint).toHaveLength(1);
    expect(JSON.parse(entrypoint[0]!.args)).toEqual(['mcp-authz', 'serve']);
    expect(ops(runtime, 'RUN').map((i) => i.args).join('\n')).toMatch(/ln -s \/app\/dist\/main\.js \/usr\/local\/bin\/mcp-authz/);
    // USER comes after the last RUN: nothing in the final image is created by root at run time.
    const userLine = ops(runtime, 'USER')[0]!.line;
    expect(Math.max(...ops(runtime, 'RUN').map((i) => i.line))).toBeLessThan(userLine);
  });

  it('copies only what the runtime needs, and never ADDs remote URLs', () => {
    const copies = ops(runtime, 'COPY').map((i) => i.args);
    expect(copies.every((c) => c.startsWith('--from=build'))).toBe(true);
    expect(copies.map((c) => c.split(/\s+/).at(-1))).toEqual(['./package.json', './node_modules', './dist', './proto']);
    for (const s of stages) expect(ops(s, 'ADD').filter((i) => /https?:\/\//.test(i.args))).toEqual([]);
  });
});
