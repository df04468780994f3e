import type { ServiceDefinition } from '@grpc/grpc-js';
import type { EntityManager, EntitySchema, MigrationObject } from '@mikro-orm/core';
import type { Registry } from 'prom-client';
import type { MethodRule, RuleSettings } from './auth/access-rule.js';
import type { CitusTable, MongoCollectionPlan } from './db/shard-classes.js';
import type { Logger } from './logger.js';
import type { PageTokens } from './pagination/page-token.js';
import type { Unary } from './server/unary.js';

/** What the composition root hands every module's start; each module's deps add what it alone takes. */
export interface ModuleContext {
  /** The request-scoped PostgreSQL EntityManager. */
  readonly em: EntityManager;
  readonly tokens: PageTokens;
  /** Wraps each handler in the request path (see createUnary). */
  readonly unary: Unary;
  readonly registry: Registry;
  readonly log: Logger;
}

/** The services a module serves, each with its handlers. */
export type ServedServices = readonly [ServiceDefinition, object][];

/**
 * What a domain (`src/<domain>/`) declares to the composition root, in its
 * `<domain>.module.ts`: the services it serves, the entities it stores, who
 * may call its RPCs, and what it writes to the audit log. src/modules.ts lists
 * the modules; the rule table, the ORM's entities and the audited actions are
 * composed from that list, in its order.
 */
export interface DomainModule {
  /** The generated gRPC service definitions the domain serves. */
  readonly definitions: readonly ServiceDefinition[];
  /** Its PostgreSQL entities. */
  readonly entities: readonly EntitySchema[];
  /** Its MongoDB entities, if any. */
  readonly mongoEntities?: readonly EntitySchema[];
  /** The migrations of its own tables, in its folder (src/db/migrations holds the history shared by several domains). */
  readonly migrations?: readonly MigrationObject[];
  /** How each of its PostgreSQL tables shards on Citus, by table name (test/db/sharding-plan.test.ts checks the schema against it). */
  readonly tables?: Readonly<Record<string, CitusTable>>;
  /** How each of its MongoDB collections shards, by collection name. */
  readonly collections?: Readonly<Record<string, MongoCollectionPlan>>;
  /** One row of the rule table per RPC of its services (its `<domain>.rules.ts`). */
  readonly rules: (settings: RuleSettings) => readonly [string, MethodRule][];
  /** The audit actions it records, `<entity type>.<verb>`, with when it records each. */
  readonly auditActions: Readonly<Record<string, string>>;
  /**
   * Builds the domain's services from what the composition root hands it
   * (its `<Domain>ModuleDeps`): handlers per service definition, and what the
   * root passes on to other modules or runs on a schedule.
   */
  readonly start: (deps: never) => unknown;
}
