import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';

// Workers never outlive their primary (issue 22 §4): killed with SIGKILL, the primary cannot tell them anything,
// and each worker exits by itself when its IPC channel closes ('disconnect').

/** Pids whose parent is `ppid` (Linux /proc). */
function children(ppid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('workers whose primary is gone', () => {
  it('exit by themselves after the primary is killed with SIGKILL', async () => {
    const s = await startCli(['--workers', '2']);
    const workers = children(s.child.pid!);
    expect(workers).toHaveLength(2);
    s.child.kill('SIGKILL');
    await s.stop();
    // Generous: a drain on a busy machine; they used to keep running until killed by pid.
    const deadline = Date.now() + 60_000;
    while (workers.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const left = workers.filter(alive);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    expect(left).toEqual([]);
  });
});
