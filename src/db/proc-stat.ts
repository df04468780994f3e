import { readFileSync } from 'node:fs';

/**
 * The fields of /proc/<pid>/stat after the command name: [0] state, [1] ppid,
 * ..., [19] start time. Undefined when there is no such process (or no /proc).
 */
export function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** When `pid` started (clock ticks since boot): tells a process from a later one reusing its pid. */
export function processStartTime(pid: number): string | undefined {
  return procStat(pid)?.[19];
}
