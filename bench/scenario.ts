import type { MethodDefinition } from '@grpc/grpc-js';
import type pg from 'pg';
import type { BenchOptions } from './bench-options.js';

/** What a scenario's setup may use: the bench database, the service under test and the run's options. */
export interface SetupContext {
  /** A plain connection to the bench database, for bulk seeding with SQL. */
  readonly sql: pg.Client;
  /** One call to the service under test, with the bench's credentials (e.g. to walk list pages). */
  call<Req, Res>(method: MethodDefinition<Req, Res>, request: Req): Promise<Res>;
  readonly options: BenchOptions;
}

/** Plain data that crosses the process boundary to the load workers. */
export type Fixture = null | boolean | number | string | readonly Fixture[] | { readonly [key: string]: Fixture };

/**
 * One benchmarked call. `setup` runs once in the bench process before any
 * load; its fixture goes to every load worker, where `makeRequest` builds the
 * request of each call (`i` is unique across callers and workers; `random` is
 * a seeded uniform [0, 1) generator of that worker).
 */
export interface TypedScenario<Req, Res, F extends Fixture> {
  readonly name: string;
  /** Settings this scenario's service runs with (a service of its own is started for it), e.g. the cache off. */
  readonly env?: Readonly<Record<string, string>>;
  readonly method: MethodDefinition<Req, Res>;
  setup(ctx: SetupContext): Promise<F>;
  makeRequest(fixture: F, random: () => number): (i: number) => Req;
}

/** A scenario with its types erased, so that different ones share a table. */
export interface Scenario {
  readonly name: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly method: MethodDefinition<unknown, unknown>;
  setup(ctx: SetupContext): Promise<Fixture>;
  makeRequest(fixture: Fixture, random: () => number): (i: number) => unknown;
}

export function defineScenario<Req, Res, F extends Fixture>(scenario: TypedScenario<Req, Res, F>): Scenario {
  // Sound as long as a fixture only ever reaches the makeRequest of the scenario whose setup made it.
  return scenario as unknown as Scenario;
}
