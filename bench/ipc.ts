import type { ChildProcess } from 'node:child_process';

/** Messages between the bench and its child processes all carry a `type`. */
export interface IpcMessage {
  readonly type: string;
}

type Peer = ChildProcess | NodeJS.Process;

/** Sends one message to the child (or, from a child, to the parent). */
export function ipcSend<M extends IpcMessage>(peer: Peer, message: M): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!peer.send) throw new Error('no IPC channel: start this script with child_process.fork');
    peer.send(message, undefined, {}, (err: Error | null) => (err ? reject(err) : resolve()));
  });
}

/**
 * Every message a peer sends, kept until asked for, so none is lost between
 * one `receive` and the next. Rejects pending and later receives once a child exits.
 */
export class IpcInbox {
  private readonly queue: IpcMessage[] = [];
  private readonly waiting: { type: string; resolve(m: IpcMessage): void; reject(e: Error): void }[] = [];
  private exited: Error | undefined;

  constructor(peer: Peer) {
    peer.on('message', (message: IpcMessage) => {
      const i = this.waiting.findIndex((w) => w.type === message.type);
      const waiter = i >= 0 ? this.waiting.splice(i, 1)[0] : undefined;
      if (waiter) waiter.resolve(message);
      else this.queue.push(message);
    });
    if (peer !== process) {
      peer.on('exit', (code: number | null) => {
        this.exited = new Error(`child process exited with code ${code}`);
        for (const w of this.waiting.splice(0)) w.reject(this.exited);
      });
    }
  }

  /** The next message of `type`, already received or still to come. */
  receive<M extends IpcMessage>(type: M['type']): Promise<M> {
    const i = this.queue.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0] as M);
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => this.waiting.push({ type, resolve: (m) => resolve(m as M), reject }));
  }
}
