// Process figures the benchmarks read from Linux's /proc: a server's process tree (a cluster primary and its
// workers), RSS and CPU time. Processes that exit while being read are skipped.
import { readdirSync, readFileSync } from 'node:fs';

/** Milliseconds per clock tick of utime/stime in /proc/<pid>/stat (USER_HZ is 100 on Linux). */
export const TICK_MS = 10;

/** The direct children of a process (of all its threads). */
export function childPids(pid) {
  return readdirSync(`/proc/${pid}/task`).flatMap((t) =>
    readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number),
  );
}

/** A process and all its descendants, parents first; the ones that went away meanwhile are left out. */
export function processTree(pid) {
  try {
    const kids = childPids(pid);
    return [pid, ...kids.flatMap(processTree)];
  } catch {
    return [];
  }
}

/** Resident set size of one process, MB. */
export function rssMb(pid) {
  return Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024;
}

/** CPU time of one process, every thread included: utime + stime (fields 14 and 15 of proc(5)), ms. */
export function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop().split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

/** Sum of `fn` over a process tree, skipping processes that exit while being read. */
function sumOverTree(pid, fn) {
  let total = 0;
  let procs = 0;
  for (const p of processTree(pid)) {
    try {
      total += fn(p);
      procs++;
    } catch {
      // the process went away between listing and reading
    }
  }
  return { total, procs };
}

/** RSS of a process and its descendants: MB and how many processes. */
export function treeRssMb(pid) {
  const { total, procs } = sumOverTree(pid, rssMb);
  return { mb: total, procs };
}

/** CPU time of a process and its live descendants, ms. */
export function treeCpuMs(pid) {
  return sumOverTree(pid, cpuMs).total;
}
