import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { promisify } from 'node:util';
import type { Ignore } from '@balena/dockerignore';
import { repoRoot, toolPath } from '../helpers/tools.js';
import { dockerignore, parseStages, type Stage, steps } from './dockerfile-model.js';

const exec = promisify(execFile);

/**
 * Replays the Dockerfile without a Docker engine, each stage in its own directory standing for its root
 * filesystem (`<dir>/<stage>/...`):
 *   - COPY from the build context honours .dockerignore; COPY --from copies between the stage directories;
 *   - WORKDIR moves the working directory; ENV, USER, EXPOSE, LABEL, ENTRYPOINT are recorded;
 *   - RUN in exec form runs the program with `/opa` mapped to the local opa (same pinned version) and absolute
 *     paths mapped into the stage directory; RUN in shell form runs with bash when it only uses relative paths
 *     (the build stage); the runtime stage's RUN, which edits the base image (removes npm, adds the user), is
 *     replayed only for its `ln -s` and `install -d` (the directory, not its owner), and any other command there is
 *     refused.
 * The base images themselves are not reproduced: the host's Node (same major) stands in for node:24.
 */
export interface ReplayedImage {
  /** Directory standing for the final stage's root filesystem. */
  root: string;
  stages: Stage[];
  workdir: string;
  env: Record<string, string>;
  entrypoint: string[];
  user: string | undefined;
  log: string[];
}

export async function replayDockerfile(text: string, dir: string, env: NodeJS.ProcessEnv): Promise<ReplayedImage> {
  const stages = parseStages(text);
  const ig = dockerignore();
  const log: string[] = [];
  let result: ReplayedImage | undefined;
  for (const stage of stages) {
    const root = join(dir, stage.name ?? `stage-${stages.indexOf(stage)}`);
    mkdirSync(root, { recursive: true });
    const inRoot = (p: string) => join(root, p);
    let workdir = '/';
    const image: ReplayedImage = { root, stages, workdir, env: {}, entrypoint: [], user: undefined, log };
    for (const s of steps(stage)) {
      const here = `${stage.name} line ${s.line + 1}: ${s.keyword}`;
      switch (s.keyword) {
        case 'WORKDIR':
          workdir = posix.resolve(workdir, s.args[0]!);
          mkdirSync(inRoot(workdir), { recursive: true });
          break;
        case 'COPY': {
          const dest = s.args.at(-1)!;
          for (const src of s.args.slice(0, -1)) {
            const from = s.fromStage ? join(dir, s.fromStage, src) : join(repoRoot, src);
            const isDir = statSync(from).isDirectory();
            // Docker: a directory's contents go into dest; a file goes into dest/ or becomes dest.
            const to = inRoot(posix.resolve(workdir, !isDir && dest.endsWith('/') ? posix.join(dest, posix.basename(src)) : dest));
            mkdirSync(isDir ? to : dirname(to), { recursive: true });
            if (s.fromStage) cpSync(from, to, { recursive: true, verbatimSymlinks: true });
            else copyFromContext(src, from, to, ig);
          }
          log.push(`${here} ${s.args.join(' ')}`);
          break;
        }
        case 'RUN':
          await run(s.exec, s.args, stage, inRoot, inRoot(workdir), env, here);
          log.push(`${here} ${(s.exec ?? s.args).join(' ')}`);
          break;
        case 'ENV':
          for (const arg of s.args) {
            const eq = arg.indexOf('=');
            if (eq <= 0) throw new Error(`${here}: only ENV key=value is replayed`);
            image.env[arg.slice(0, eq)] = arg.slice(eq + 1).replace(/^"(.*)"$/, '$1');
          }
          break;
        case 'USER':
          image.user = s.args[0];
          break;
        case 'ENTRYPOINT':
          image.entrypoint = s.exec ?? [];
          break;
        case 'ARG':
          // Without a default an ARG sets nothing unless `docker build --build-arg` gives it, and the replay gives none.
          if (s.args.some((a) => a.includes('='))) throw new Error(`${here}: only ARG without a default is replayed`);
          break;
        case 'EXPOSE':
        case 'LABEL':
          break;
        default:
          throw new Error(`${here}: the replay does not know this instruction`);
      }
    }
    image.workdir = workdir;
    result = image;
  }
  return result!;
}

/** COPY <src> from the build context (the repository), keeping only what .dockerignore lets through. */
function copyFromContext(src: string, from: string, to: string, ig: Ignore): void {
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  const files = statSync(from).isDirectory() ? walk(from) : [from];
  let copied = 0;
  for (const file of files) {
    if (ig.ignores(relative(repoRoot, file))) continue;
    const dest = file === from ? to : join(to, relative(from, file));
    mkdirSync(dirname(dest), { recursive: true });
    cpSync(file, dest);
    copied++;
  }
  if (copied === 0) throw new Error(`COPY ${src}: nothing left after .dockerignore`);
}

async function run(
  execForm: string[] | undefined,
  shellArgs: string[],
  stage: Stage,
  inRoot: (p: string) => string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  here: string,
): Promise<void> {
  if (execForm) {
    const [program, ...args] = execForm;
    const bin = program === '/opa' ? toolPath('opa') : program!;
    await exec(
      bin,
      args.map((a) => (a.startsWith('/') ? inRoot(a) : a)),
      { cwd, env, maxBuffer: 16 * 1024 * 1024 },
    );
    return;
  }
  const command = shellArgs.join(' ');
  if (stage.name === 'runtime') {
    // This RUN changes the base image (npm removed, user added), makes the state directory and links the CLI: only
    // the directory and the link are replayed.
    for (const part of command.split('&&').map((p) => p.trim())) {
      const link = /^ln -s (\/\S+) (\/\S+)$/.exec(part);
      // The state directory: made with its mode; its owner (65532) is not replayed (chown needs root).
      const dir = /^install -d -o \d+ -g \d+ -m (0[0-7]{3}) (\/\S+)$/.exec(part);
      if (link) {
        mkdirSync(dirname(inRoot(link[2]!)), { recursive: true });
        symlinkSync(inRoot(link[1]!), inRoot(link[2]!));
      } else if (dir) {
        mkdirSync(inRoot(dir[2]!), { recursive: true, mode: Number.parseInt(dir[1]!, 8) });
      } else if (!/^(rm -rf \/(usr\/local|opt)\/|groupadd |useradd )/.test(part)) {
        throw new Error(`${here}: cannot replay "${part}"`);
      }
    }
    return;
  }
  if (/(^|\s)\//.test(command)) throw new Error(`${here}: shell-form RUN with an absolute path cannot be replayed: ${command}`);
  await exec('bash', ['-euo', 'pipefail', '-c', command], { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 });
}
