import { describe, expect, it } from 'vitest';
import { auditedActionsOf } from '../../src/audit/audited-actions.js';
import type { MethodRule } from '../../src/auth/access-rule.js';
import { ruleTableOf } from '../../src/auth/rules.js';
import { AUDITED_ACTIONS, MODULES } from '../../src/modules.js';

const NOBODY: MethodRule = { anonymous: 'none', student: 'none', instructor: 'none', admin: 'none', service: 'none' };
const ADMINS: MethodRule = { ...NOBODY, admin: 'all' };

describe('the composition of the modules', () => {
  it('when modules give rule rows, then the table holds them in the order of the list, and the settings reach each', () => {
    const seen: boolean[] = [];
    const table = ruleTableOf(
      [
        {
          rules: (settings) => {
            seen.push(settings.allowSignup);
            return [['/a.A/Two', NOBODY]];
          },
        },
        {
          rules: () => [
            ['/b.B/One', ADMINS],
            ['/b.B/Three', NOBODY],
          ],
        },
      ],
      { allowSignup: false },
    );
    expect(Object.keys(table)).toEqual(['/a.A/Two', '/b.B/One', '/b.B/Three']);
    expect(table['/b.B/One']).toBe(ADMINS);
    expect(seen).toEqual([false]);
  });

  it('when two modules give a rule for the same method, then composing the table fails naming it', () => {
    const twice = [
      { rules: () => [['/a.A/One', NOBODY]] as [string, MethodRule][] },
      { rules: () => [['/a.A/One', ADMINS]] as [string, MethodRule][] },
    ];
    expect(() => ruleTableOf(twice, { allowSignup: true })).toThrow('two authorization rules for /a.A/One');
  });

  it('when two modules record the same audit action, then composing the actions fails naming it', () => {
    expect(() => auditedActionsOf([{ auditActions: { 'x.made': 'A' } }, { auditActions: { 'x.made': 'B' } }])).toThrow(
      'two modules record the audit action x.made',
    );
  });

  it('when the service is composed, then every rule of a module is for a method of its own services', () => {
    const foreign = MODULES.flatMap((module) => {
      const own = new Set(module.definitions.flatMap((definition) => Object.values(definition).map((method) => method.path)));
      return module.rules({ allowSignup: true }).flatMap(([path]) => (own.has(path) ? [] : [path]));
    });
    expect(foreign).toEqual([]);
  });

  it("when the service is composed, then the audited actions are the modules' in their order", () => {
    expect(Object.keys(AUDITED_ACTIONS)).toEqual(MODULES.flatMap((module) => Object.keys(module.auditActions)));
    expect(Object.keys(AUDITED_ACTIONS)).toContain('payment.refunded');
  });
  it('when the service is composed, then each module plans the sharding of exactly the tables and collections of its entities', () => {
    const named = (schemas: readonly { meta: { tableName?: string; collection?: string } }[]) =>
      schemas.map((schema) => schema.meta.collection ?? schema.meta.tableName).sort();
    for (const module of MODULES) {
      expect(Object.keys(module.tables ?? {}).sort()).toEqual(named(module.entities));
      expect(Object.keys(module.collections ?? {}).sort()).toEqual(named(module.mongoEntities ?? []));
    }
  });
});
