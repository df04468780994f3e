import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { processStartTime, procStat } from './proc-stat.js';

/** The data directory belongs to a live process; `message` is the whole story, one line. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
}

export interface DataDirLock {
  /** Gives the claim back; the lock file goes with the last one. */
  release(): Promise<void>;
}

interface Holder {
  readonly pid: number;
  /** Start time of the process (Linux clock ticks since boot): tells it from a later process with the same pid. */
  readonly since: string | null;
}

const LOCK_FILE = 'campus.lock';
const claims = new Map<string, number>();

/**
 * Claims `dataDir` for this process, before any embedded store starts there.
 * `<dataDir>/campus.lock` names the holder; a live holder makes this throw
 * DataDirInUseError, a dead one's lock is taken over (the stores it left
 * behind are leftovers and may be cleaned up). Claims within one process are
 * counted, not refused.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const dir = path.resolve(dataDir);
  const file = path.join(dir, LOCK_FILE);
  const count = claims.get(dir) ?? 0;
  if (count === 0) await claim(dir, file);
  claims.set(dir, count + 1);
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      const left = (claims.get(dir) ?? 1) - 1;
      if (left > 0) {
        claims.set(dir, left);
        return;
      }
      claims.delete(dir);
      if (isSelf(await readHolder(file))) await unlink(file).catch(() => undefined);
    },
  };
}

async function claim(dir: string, file: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const self: Holder = { pid: process.pid, since: startTime(process.pid) };
  // Written in full under a private name, then linked into place: the lock file never exists half-written.
  const draft = `${file}.${process.pid}`;
  await writeFile(draft, `${JSON.stringify(self)}\n`);
  try {
    try {
      await link(draft, file);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readHolder(file);
    if (holder && holder.pid !== process.pid && isAlive(holder)) throw inUse(dir, holder.pid);
    // The holder is gone: take its lock over, then check no other start took it at the same moment.
    await rename(draft, file);
    const now = await readHolder(file);
    if (!isSelf(now)) throw inUse(dir, now?.pid);
  } finally {
    await unlink(draft).catch(() => undefined);
  }
}

function inUse(dir: string, pid: number | undefined): DataDirInUseError {
  return new DataDirInUseError(
    `DATA_DIR ${dir} is in use by a running campus-data (pid ${pid ?? 'unknown'}): stop that one first, or give this one its own DATA_DIR`,
  );
}

async function readHolder(file: string): Promise<Holder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<Holder>;
    return typeof parsed.pid === 'number' ? { pid: parsed.pid, since: parsed.since ?? null } : undefined;
  } catch {
    // Missing or unreadable (a holder killed while writing it cannot be, see claim): nobody holds it.
    return undefined;
  }
}

function isSelf(holder: Holder | undefined): boolean {
  return holder?.pid === process.pid && holder.since === startTime(process.pid);
}

function isAlive(holder: Holder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    // EPERM: alive, owned by another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (procStat(holder.pid)?.[0] === 'Z') return false;
  const since = startTime(holder.pid);
  return since === null || holder.since === null || since === holder.since;
}

function startTime(pid: number): string | null {
  return processStartTime(pid) ?? null;
}
