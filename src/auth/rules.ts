import type { MethodRule, RuleSettings, RuleTable } from './access-rule.js';

/** What a domain gives the rule table: one row per RPC of its service(s), from `src/<domain>/<domain>.rules.ts`. */
export interface RuledModule {
  readonly rules: (settings: RuleSettings) => readonly [string, MethodRule][];
}

/**
 * Who may call what: one row per RPC of every service, one grant per kind of
 * caller (`all`, `none`, or the relations that let them in; see access-rule.ts),
 * the rows of each module in the order of the list (src/modules.ts). A method
 * missing here is refused to everyone. Services may call only the methods
 * their token lists; within those they are trusted like admins, except that
 * they create students only. docs/security.md shows this table
 * (`npm run docs:security`).
 */
export function ruleTableOf(modules: readonly RuledModule[], settings: RuleSettings): RuleTable {
  const table: Record<string, MethodRule> = {};
  for (const module of modules)
    for (const [path, rule] of module.rules(settings)) {
      if (table[path]) throw new Error(`two authorization rules for ${path}`);
      table[path] = rule;
    }
  return table;
}
