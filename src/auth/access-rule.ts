import type { MethodDefinition } from '@grpc/grpc-js';
import type { ResourceRef } from '../errors/domain-error.js';
import type { AccessLookups } from './access-lookups.js';
import type { Principal, UserPrincipal } from './principal.js';

/** The columns of the rule table: who is calling. Users are split by role. */
export const COLUMNS = ['anonymous', 'student', 'instructor', 'admin', 'service'] as const;
export type Column = (typeof COLUMNS)[number];

/**
 * Relations between a caller and what a call touches; a grant names the ones
 * that let a column in.
 * - `owner`: the call is about the caller's own user, or a resource that
 *   belongs to them (their enrollment, payment, progress, post...);
 * - `teacher`: the call is about a catalog item the caller is the instructor of;
 * - `public`: the call reads only published catalog items;
 * - `signup`: it creates a student account while ALLOW_SIGNUP is on;
 * - `new_student`: it creates a student account (never an instructor or admin);
 * - `learner`: the call reads material of a catalog item the caller is
 *   enrolled in (active or completed).
 */
export const RELATIONS = ['owner', 'teacher', 'public', 'signup', 'new_student', 'learner'] as const;
export type Relation = (typeof RELATIONS)[number];

/** Who of a column may call: everyone, no one, or those for whom one of the relations holds. */
export type Grant = 'all' | 'none' | readonly Relation[];

/** Decides one relation for one call; may read through `lookups` (one indexed lookup at most). */
export type RelationCheck<In> = (principal: Principal, input: In, lookups: AccessLookups) => boolean | Promise<boolean>;

/** Why a request is refused although the caller's column is let in; undefined when it is fine. */
export type Limit<Req> = (principal: UserPrincipal, request: Req) => { readonly reason: string; readonly message: string } | undefined;

/**
 * The catalog item a call hangs off: its id (or how to find it from the
 * resource the request names), and what the request asked for, which a caller
 * who may not see the item is told is not found.
 */
export interface OnItem {
  readonly itemId: string | Promise<string | undefined>;
  readonly asked: ResourceRef;
}

/** The authorization rule of one RPC: one grant per column, and how to decide the relations they name. */
export interface MethodRule<Req = unknown, Res = unknown> {
  readonly anonymous: Grant;
  readonly student: Grant;
  readonly instructor: Grant;
  readonly admin: Grant;
  readonly service: Grant;
  /**
   * The catalog item the call hangs off, if any: a caller who may not see it
   * (mayViewCatalogItem) gets NOT_FOUND naming what they asked for, decided
   * before anything else, so a hidden item and whatever hangs off it answer
   * as missing ones do.
   */
  readonly onItem?: (request: Req, lookups: AccessLookups) => OnItem | undefined;
  /** Relations decided before the handler, from the request alone or with one indexed lookup. */
  readonly before?: { readonly [R in Relation]?: RelationCheck<Req> };
  /**
   * Relations decided on the resource the handler loaded, before the caller
   * sees it. For reads only: nothing has changed by then.
   */
  readonly after?: { readonly [R in Relation]?: RelationCheck<Res> };
  /**
   * Relations the service decides on the resource it loads, before it changes
   * anything, with the caller as the actor (`limit` makes sure the request
   * names the caller as the actor).
   */
  readonly byService?: readonly Relation[];
  /**
   * The service refuses with NOT_FOUND when the `byService` relations do not
   * hold, so that a caller cannot tell a hidden resource from a missing one.
   */
  readonly refusedAsNotFound?: boolean;
  /** A further condition on the request for students and instructors (never admins or services). */
  readonly limit?: Limit<Req>;
  /** The docs table's note: what `owner` or `teacher` means here, and the limits. */
  readonly note?: string;
  /** The stable reason of a refusal, when not the generic ones. */
  readonly deniedReason?: string;
}

/** What the rules depend on besides the call. */
export interface RuleSettings {
  /** ALLOW_SIGNUP: whether anyone may create a student account. */
  readonly allowSignup: boolean;
}

/** Rules keyed by gRPC path, `/package.Service/Method`. */
export type RuleTable = Readonly<Record<string, MethodRule>>;

/** One entry of a rule table, typed by the generated method definition it is keyed by. */
export function rule<Req, Res>(method: MethodDefinition<Req, Res>, spec: MethodRule<NoInfer<Req>, NoInfer<Res>>): [string, MethodRule] {
  return [method.path, spec as MethodRule];
}
