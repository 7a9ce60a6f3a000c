import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fsCause, makeDirectories } from '../../../src/shared/fs-cause.js';

const tmp = mkdtempSync(join(tmpdir(), 'mcp-authz-fs-cause-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('fsCause', () => {
  it('says the OS error in words, with its code', () => {
    const err = (code: string) => Object.assign(new Error(`${code}: raw`), { code });
    expect(fsCause(err('EROFS'))).toBe('the filesystem is read-only (EROFS)');
    expect(fsCause(err('EACCES'))).toBe('permission denied (EACCES)');
    expect(fsCause(err('ENOTDIR'))).toBe('a part of the path is not a directory (ENOTDIR)');
    expect(fsCause(err('EEXIST'))).toBe('it exists and is not a directory (EEXIST)');
    expect(fsCause(err('EWHATEVER'))).toBe('EWHATEVER: raw');
  });
});

describe('makeDirectories', () => {
  it('creates every missing level, and accepts what exists', () => {
    makeDirectories(join(tmp, 'a', 'b', 'c'));
    makeDirectories(join(tmp, 'a', 'b', 'c'));
    expect(statSync(join(tmp, 'a', 'b', 'c')).isDirectory()).toBe(true);
  });

  it('names the regular file on the way', () => {
    writeFileSync(join(tmp, 'file'), '');
    expect(() => makeDirectories(join(tmp, 'file', 'x', 'y'))).toThrow(`${join(tmp, 'file')} is a file, not a directory`);
  });

  it('returns (does not loop) where the filesystem refuses new entries', () => {
    expect(() => makeDirectories('/proc/mcp-authz-nonexistent/x')).toThrow(
      'cannot create the directory /proc/mcp-authz-nonexistent: /proc does not allow new entries (ENOENT)',
    );
  });
});
