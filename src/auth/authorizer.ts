import { requireCatalogItemVisible, seesEveryCatalogItem } from '../catalog/catalog.js';
import { DomainError } from '../errors/domain-error.js';
import { type AccessLookups, type CatalogItemVisibility, type EnrollmentAccess, type ItemAccess, isResourceId } from './access-lookups.js';
import type { Column, MethodRule, Relation, RelationCheck, RuleTable } from './access-rule.js';
import { methodAllowed } from './method-allowed.js';
import type { Principal } from './principal.js';

/** Checks what a read loaded before the caller sees it; throws a DomainError to refuse. */
export type CheckResponse = (response: unknown) => Promise<void>;

/**
 * Decides whether the principal may make this call: throws a DomainError
 * (UNAUTHENTICATED, PERMISSION_DENIED) to refuse, or returns nothing, or a
 * check the response of the call must pass.
 */
export type Authorize = (principal: Principal, method: string, request: unknown) => Promise<CheckResponse | undefined>;

/** How a refusal names the relations that would have let the caller in. */
export const RELATION_PHRASES: Readonly<Record<Relation, string>> = {
  owner: 'their own',
  teacher: 'catalog items they teach',
  public: 'published catalog items',
  signup: 'students while sign-up is open',
  new_student: 'students',
  learner: 'catalog items they are enrolled in',
};

/**
 * Default deny. A service may call only the methods its token lists. Then
 * the method's rule decides (`/package.Service/Method` keys, see rules.ts); a
 * method without one is refused to everyone. A grant of relations lets the
 * caller in when one of them holds: request relations are decided here, in
 * the order the grant names them (a lookup is made only if the cheaper ones
 * did not decide); service relations are left to the service; response
 * relations become the returned check. Anonymous callers are refused with
 * UNAUTHENTICATED (signing in might help), everyone else with
 * PERMISSION_DENIED.
 */
export function createAuthorizer(rules: RuleTable, lookups: AccessLookups): Authorize {
  return async (principal, method, request) => {
    const name = method.slice(1);
    if (principal.kind === 'service' && !methodAllowed(principal.methods, method)) {
      throw new DomainError('PERMISSION_DENIED', 'METHOD_NOT_ALLOWED', `service ${principal.id} may not call ${name}`);
    }
    const rule = rules[method];
    if (!rule) throw refusal(principal, 'NO_AUTHORIZATION_RULE', `${name} has no authorization rule: it is refused to everyone`);
    const callLookups = new CallLookups(lookups);
    if (rule.onItem && !seesEveryCatalogItem(principal)) await requireItemVisible(rule, principal, request, callLookups);
    const column = columnOf(principal);
    const grant = rule[column];
    if (grant === 'none') throw refusal(principal, rule.deniedReason ?? 'ROLE_NOT_ALLOWED', `${column} callers may not call ${name}`);
    if (principal.kind === 'user' && principal.role !== 'admin') {
      const limited = rule.limit?.(principal, request);
      if (limited) throw refusal(principal, limited.reason, limited.message);
    }
    if (grant === 'all') return undefined;

    const refused = () =>
      refusal(
        principal,
        rule.deniedReason ?? 'ACCESS_DENIED',
        `${column} callers may call ${name} only for ${grant.map((r) => RELATION_PHRASES[r]).join(' or ')}`,
      );
    const later: RelationCheck<unknown>[] = [];
    for (const relation of grant) {
      if (rule.byService?.includes(relation)) return undefined;
      const before = rule.before?.[relation];
      const after = rule.after?.[relation];
      if (before) {
        // Most checks are synchronous comparisons: no await (and no microtask) for them.
        const holds = before(principal, request, callLookups);
        if (holds === true || (holds !== false && (await holds))) return undefined;
      }
      if (after) later.push(after);
      if (!before && !after) throw new Error(`the rule of ${name} grants ${relation} without saying how to decide it`);
    }
    if (later.length === 0) throw refused();
    return async (response) => {
      for (const check of later) if (await check(principal, response, callLookups)) return;
      throw refused();
    };
  };
}

/**
 * The item visibility rule before any grant: NOT_FOUND naming what was asked
 * for when the item it hangs off is missing or hidden from the caller. A
 * malformed id goes on to the service, which answers INVALID_ARGUMENT.
 */
async function requireItemVisible(rule: MethodRule, principal: Principal, request: unknown, lookups: AccessLookups): Promise<void> {
  const on = rule.onItem?.(request, lookups);
  if (!on || !isResourceId(on.asked.name)) return;
  const itemId = await on.itemId;
  requireCatalogItemVisible(principal, itemId === undefined ? undefined : await lookups.itemVisibility(itemId), on.asked);
}

/** The rule table's column of a principal. */
export function columnOf(principal: Principal): Column {
  return principal.kind === 'user' ? principal.role : principal.kind;
}

function refusal(principal: Principal, reason: string, message: string): DomainError {
  return principal.kind === 'anonymous'
    ? new DomainError('UNAUTHENTICATED', reason, `sign in: ${message}`)
    : new DomainError('PERMISSION_DENIED', reason, message);
}

/**
 * The lookups of one call: the same lookup twice (a rule asking two
 * questions of one item) reads once. A class, so that calls that look
 * nothing up pay for no closures.
 */
class CallLookups implements AccessLookups {
  private seen: Map<string, Promise<unknown>> | undefined;

  constructor(private readonly lookups: AccessLookups) {}

  catalogItem(id: string): Promise<ItemAccess | undefined> {
    return this.once(`item:${id}`, () => this.lookups.catalogItem(id));
  }

  lessonItem(id: string): Promise<ItemAccess | undefined> {
    return this.once(`lesson:${id}`, () => this.lookups.lessonItem(id));
  }

  enrollment(id: string): Promise<EnrollmentAccess | undefined> {
    return this.once(`enrollment:${id}`, () => this.lookups.enrollment(id));
  }

  paymentOwner(id: string): Promise<string | undefined> {
    return this.once(`payment:${id}`, () => this.lookups.paymentOwner(id));
  }

  itemVisibility(id: string): Promise<CatalogItemVisibility | undefined> {
    return this.once(`visibility:${id}`, () => this.lookups.itemVisibility(id));
  }

  lessonItemId(id: string): Promise<string | undefined> {
    return this.once(`lesson-item:${id}`, () => this.lookups.lessonItemId(id));
  }

  threadItemId(id: string): Promise<string | undefined> {
    return this.once(`thread-item:${id}`, () => this.lookups.threadItemId(id));
  }

  postItemId(id: string): Promise<string | undefined> {
    return this.once(`post-item:${id}`, () => this.lookups.postItemId(id));
  }

  private once<T>(key: string, read: () => Promise<T>): Promise<T> {
    this.seen ??= new Map();
    let found = this.seen.get(key) as Promise<T> | undefined;
    if (!found) {
      found = read();
      this.seen.set(key, found);
    }
    return found;
  }
}
