import { describe, expect, it } from 'vitest';
import { sqlLabels } from '../../src/metrics/sql-statement.js';

describe('sqlLabels', () => {
  it.each([
    [`select "u0".* from "users" as "u0" where "u0"."id" = '0190-abc' limit 1`, 'SELECT', 'users'],
    [`insert into "catalog_items" ("id", "title") values ('x', 'y') returning "version"`, 'INSERT', 'catalog_items'],
    [`update "public"."lessons" set "title" = 'z' where "id" = 'q'`, 'UPDATE', 'lessons'],
    [`delete from "enrollments" where "id" in ('a', 'b')`, 'DELETE', 'enrollments'],
    ['begin', 'BEGIN', 'none'],
    ['commit', 'COMMIT', 'none'],
    ['select 1', 'SELECT', 'none'],
    ['set local statement_timeout = 100', 'SET', 'none'],
    ['frobnicate everything', 'OTHER', 'none'],
  ])('when the statement is %s, then it is %s on %s', (sql, operation, table) => {
    expect(sqlLabels(sql)).toEqual({ operation, table });
  });

  it('when statements differ only in inlined values, then their labels carry no value', () => {
    const a = sqlLabels(`select * from users where email_key = 'a@example.test'`);
    const b = sqlLabels(`select * from users where email_key = 'b@example.test'`);
    expect(a).toEqual({ operation: 'SELECT', table: 'users' });
    expect(b).toBe(a);
  });
});
