import { type Client, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import type { UnaryMethod } from './grpc.js';

/** Like `call` (grpc.ts), with a deadline `deadlineMs` from now. */
export function callWithin<Req, Res>(
  method: UnaryMethod<Req, Res>,
  client: Client,
  request: Req,
  deadlineMs: number,
  metadata = new Metadata(),
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(client, request, metadata, { deadline: new Date(Date.now() + deadlineMs) }, (err, res) =>
      err ? reject(err) : resolve(res),
    );
  });
}

/** How one call ended, as its caller saw it. */
export interface Outcome {
  readonly op: string;
  readonly code: status;
  readonly startedAt: number;
  readonly elapsedMs: number;
  readonly deadlineMs: number;
}

/** One kind of call a load makes: `run` makes it with that deadline. */
export interface Op {
  readonly name: string;
  readonly deadlineMs: number;
  run(deadlineMs: number): Promise<unknown>;
}

/** Makes the call and records how it ended; never rejects. */
export async function outcomeOf(op: Op): Promise<Outcome> {
  const startedAt = Date.now();
  let code: status = status.OK;
  try {
    await op.run(op.deadlineMs);
  } catch (err) {
    code = typeof (err as ServiceError)?.code === 'number' ? (err as ServiceError).code : status.UNKNOWN;
  }
  return { op: op.name, code, startedAt, elapsedMs: Date.now() - startedAt, deadlineMs: op.deadlineMs };
}

/** Names of the codes in `outcomes` by count, for a failure message. */
export function codeCounts(outcomes: readonly Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    const key = `${o.op}:${status[o.code]}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Codes a caller may see while a store is away: it is told to retry, or its deadline passed. */
export const STORE_AWAY_CODES: readonly status[] = [status.OK, status.UNAVAILABLE, status.DEADLINE_EXCEEDED];

/**
 * `workers` loops, each making the ops in turn (offset by its index) with a
 * short pause between calls, until `stop()`; every call's outcome is kept.
 */
export function startLoad(ops: readonly Op[], workers: number, pauseMs = 20): { outcomes: Outcome[]; stop(): Promise<void> } {
  const outcomes: Outcome[] = [];
  let running = true;
  const loops = Array.from({ length: workers }, async (_, w) => {
    for (let i = w; running; i++) {
      outcomes.push(await outcomeOf(ops[i % ops.length] as Op));
      await sleep(pauseMs);
    }
  });
  return {
    outcomes,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

/**
 * Makes `op` again (after a short pause) until it succeeds; resolves with the
 * ms from the first attempt to the success, or rejects after `withinMs`.
 */
export async function untilOk(op: Op, withinMs: number, seen: Outcome[] = []): Promise<number> {
  const from = Date.now();
  while (Date.now() - from < withinMs) {
    const outcome = await outcomeOf(op);
    seen.push(outcome);
    if (outcome.code === status.OK) return Date.now() - from;
    await sleep(25);
  }
  throw new Error(`${op.name} did not succeed within ${withinMs} ms`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
