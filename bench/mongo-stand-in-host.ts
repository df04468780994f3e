import { procStat } from '../src/db/proc-stat.js';
import { forkScript } from './fork-script.js';
import { IpcInbox, ipcSend } from './ipc.js';

export interface MongoStandInReady {
  readonly type: 'ready';
  readonly url: string;
}

/** The MongoDB-wire stand-in, run in a child process so that its work is not counted as the service's. */
export interface MongoStandIn {
  readonly url: string;
  /** CPU time (user + system) the stand-in's process has used so far, µs (10 ms resolution). */
  cpuMicros(): number;
  stop(): Promise<void>;
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

export async function startMongoStandIn(): Promise<MongoStandIn> {
  const child = forkScript('./mongo-stand-in.ts');
  const inbox = new IpcInbox(child);
  const { url } = await inbox.receive<MongoStandInReady>('ready');
  const pid = child.pid ?? 0;
  return {
    url,
    cpuMicros: () => {
      const stat = procStat(pid);
      // utime and stime: fields 14 and 15 of /proc/<pid>/stat, [11] and [12] after the command name.
      return stat ? ((Number(stat[11]) + Number(stat[12])) * 1_000_000) / TICKS_PER_SECOND : 0;
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await ipcSend(child, { type: 'shutdown' });
      await exited;
    },
  };
}
