import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** An OS error in words, with its code: `the filesystem is read-only (EROFS)`. */
export function fsCause(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const words: Record<string, string> = {
    EROFS: 'the filesystem is read-only',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EISDIR: 'it is a directory',
    ENOENT: 'no such file or directory',
    ENOTDIR: 'a part of the path is not a directory',
    EEXIST: 'it exists and is not a directory',
    ELOOP: 'too many symbolic links',
    ENAMETOOLONG: 'the name is too long',
  };
  const said = e.code ? words[e.code] : undefined;
  return said ? `${said} (${e.code})` : (e.message ?? String(err));
}

/**
 * `mkdir -p`, one level at a time, with errors that say what is wrong. node's `mkdirSync(…, { recursive: true })`
 * loops for ever where a directory reports ENOENT for a new entry (`/proc/x`), and reports a regular file on the
 * way as ENOTDIR or EEXIST of the directory asked for; here the file is named.
 */
export function makeDirectories(dir: string): void {
  const missing: string[] = [];
  let p = resolve(dir);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(p) !== p) {
        missing.push(p);
        p = dirname(p);
        continue;
      }
      throw new Error(`cannot create the directory ${dir}: ${p}: ${fsCause(err)}`);
    }
    if (!isDir) throw new Error(`cannot create the directory ${dir}: ${p} is a file, not a directory`);
    break;
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(m).isDirectory()) continue; // made meanwhile by another process
      // A directory that exists but refuses new entries (procfs, sysfs) answers ENOENT.
      const cause = code === 'ENOENT' ? `${dirname(m)} does not allow new entries (ENOENT)` : fsCause(err);
      throw new Error(`cannot create the directory ${m}: ${cause}`);
    }
  }
}
