import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Ignore } from '@balena/dockerignore';
import { type Copy, DockerfileParser, type From, type Instruction, type JSONInstruction } from 'dockerfile-ast';
import { repoRoot } from '../helpers/tools.js';

/** One build stage of the Dockerfile, parsed with dockerfile-ast (the parser of the VS Code Docker extension). */
export interface Stage {
  name: string | undefined;
  from: From;
  /** The base image as written: name, tag, digest. */
  image: { name: string; tag: string | undefined; digest: string | undefined };
  instructions: Instruction[];
}

export interface Step {
  keyword: string;
  /** Zero-based line of the instruction. */
  line: number;
  /** Exec (JSON) form arguments, or undefined for shell form. */
  exec: string[] | undefined;
  /** The arguments as written (shell form), flags excluded for COPY/ADD. */
  args: string[];
  /** COPY --from=<stage>. */
  fromStage: string | undefined;
}

export const dockerfilePath = join(repoRoot, 'Dockerfile');
export const dockerfileText = (): string => readFileSync(dockerfilePath, 'utf8');

export function parseStages(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const from = instruction as From;
      stages.push({
        name: from.getBuildStage() ?? undefined,
        from,
        image: { name: from.getImageName() ?? '', tag: from.getImageTag() ?? undefined, digest: from.getImageDigest() ?? undefined },
        instructions: [],
      });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push(instruction);
    } else {
      throw new Error(`${instruction.getKeyword()} before the first FROM (line ${instruction.getRange().start.line + 1})`);
    }
  }
  return stages;
}

const EXEC_CAPABLE = new Set(['RUN', 'CMD', 'ENTRYPOINT', 'COPY', 'ADD', 'SHELL', 'VOLUME']);

export function step(instruction: Instruction): Step {
  const keyword = instruction.getKeyword();
  let exec: string[] | undefined;
  if (EXEC_CAPABLE.has(keyword)) {
    const json = (instruction as JSONInstruction).getJSONStrings().map((s) => s.getJSONValue());
    if (json.length > 0) exec = json;
  }
  const fromFlag = keyword === 'COPY' ? ((instruction as Copy).getFromFlag()?.getValue() ?? undefined) : undefined;
  return {
    keyword,
    line: instruction.getRange().start.line,
    exec,
    args: instruction.getArguments().map((a) => a.getValue()),
    fromStage: fromFlag,
  };
}

export const steps = (stage: Stage, keyword?: string): Step[] =>
  stage.instructions.map(step).filter((s) => keyword === undefined || s.keyword === keyword);

export function stageNamed(stages: Stage[], name: string): Stage {
  const s = stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage named ${name}`);
  return s;
}

// @balena/dockerignore (Docker's own matching rules, ported) is CommonJS whose typings declare an ES default export
// it does not have; require() gets the factory itself.
const createIgnore = createRequire(import.meta.url)('@balena/dockerignore') as () => Ignore;

/** The repository's .dockerignore, as a matcher: ignores(path) is true for what Docker leaves out of the context. */
export const dockerignore = (): Ignore => createIgnore().add(readFileSync(join(repoRoot, '.dockerignore'), 'utf8'));
