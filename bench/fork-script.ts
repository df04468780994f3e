import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Forks a bench/*.ts script on this Node (24, from node_modules), with an IPC channel. */
export function forkScript(name: string): ChildProcess {
  return fork(fileURLToPath(new URL(name, import.meta.url)), [], {
    execPath: process.execPath,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}
