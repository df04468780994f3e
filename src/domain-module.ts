import type { ServiceDefinition } from '@grpc/grpc-js';
import type { EntitySchema } from '@mikro-orm/core';
import type { MethodRule, RuleSettings } from './auth/access-rule.js';

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
