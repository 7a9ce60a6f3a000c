import { readdirSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';

/**
 * The files that make up a policy, for the file watch. A policy directory contributes what `opa build` reads
 * from it (.rego files other than *_test.rego, data.json / data.yaml / data.yml, .manifest; nothing under an
 * `examples` directory); a bundle or data file contributes itself. Anything else in the same directories (a log
 * file, an editor's swap file) is not part of the policy and never triggers a reload.
 */
export function isPolicyDirFile(relPath: string): boolean {
  const parts = relPath.split(/[\\/]/);
  if (parts.includes('examples')) return false;
  const name = parts[parts.length - 1] ?? '';
  if (name.endsWith('.rego')) return !name.endsWith('_test.rego');
  return name === 'data.json' || name === 'data.yaml' || name === 'data.yml' || name === '.manifest';
}

/**
 * Does a change event for `filename` inside the watched directory concern the watched file? Kubernetes mounts
 * ConfigMaps and Secrets as symlinks through `..data`, which is swapped atomically: that counts as a change.
 */
export function concernsFile(file: string, filename: string | null): boolean {
  if (filename === null) return true;
  return filename === basename(file) || filename === '..data';
}

/**
 * A cheap fingerprint of the policy's files (path, size, mtime, inode): equal fingerprints mean nothing was
 * rewritten, so a spurious event does not cost a rebuild.
 */
export function fingerprint(paths: readonly string[]): string {
  const parts: string[] = [];
  const add = (p: string): void => {
    try {
      const st = statSync(p);
      parts.push(`${p}:${st.size}:${st.mtimeMs}:${st.ino}`);
    } catch {
      parts.push(`${p}:missing`);
    }
  };
  for (const p of paths) {
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      // missing
    }
    if (!isDir) {
      add(p);
      continue;
    }
    for (const rel of listFiles(p)) if (isPolicyDirFile(rel)) add(join(p, rel));
  }
  return parts.join('\n');
}

function listFiles(dir: string): string[] {
  try {
    return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
      .filter((d) => d.isFile() || d.isSymbolicLink())
      .map((d) => relative(dir, join(d.parentPath, d.name)).split(sep).join('/'))
      .sort();
  } catch {
    return [];
  }
}
