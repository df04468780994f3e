import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { analyticsModule } from '../../src/analytics/analytics.module.js';
import { assetModule } from '../../src/asset/asset.module.js';
import { auditModule } from '../../src/audit/audit.module.js';
import { billingModule } from '../../src/billing/billing.module.js';
import { catalogModule } from '../../src/catalog/catalog.module.js';
import type { DomainModule } from '../../src/domain-module.js';
import { enrollmentModule } from '../../src/enrollment/enrollment.module.js';
import { forumModule } from '../../src/forum/forum.module.js';
import { identityModule } from '../../src/identity/identity.module.js';
import { MODULES } from '../../src/modules.js';
import { SRC, tsFiles } from './import-graph.js';

/**
 * Nobody queries another domain's tables. A domain's tables are those of the
 * entities its module declares (PostgreSQL tables and MongoDB collections);
 * another domain reads them only through the reads the owner exports
 * (CatalogReads in src/catalog/catalog.ts, EnrollmentReads in
 * src/enrollment/enrollment.ts...). So no SQL in a string literal of a file
 * under one domain folder names another domain's table after
 * from/join/into/update, and none in src/auth or src/server (shared
 * mechanism, no domain's) names any. The few statements that need another
 * domain's table in the same statement live with the domain owning their
 * main table and are listed in KNOWN_EXCEPTIONS with the reason they stay,
 * so that any new one fails here and a removed one has to leave the list.
 * Tables of no domain (idempotency_records, outbox_events) are shared
 * mechanism and not checked.
 */

const OWNERS: Readonly<Record<string, DomainModule>> = {
  identity: identityModule,
  catalog: catalogModule,
  enrollment: enrollmentModule,
  billing: billingModule,
  audit: auditModule,
  forum: forumModule,
  analytics: analyticsModule,
  asset: assetModule,
};

/** Folders of src/ that are no domain's and may name no domain's table. */
const SHARED = ['auth', 'server'];

/** SQL naming another domain's table that stays, `file -> table` (paths under src/). */
const KNOWN_EXCEPTIONS: readonly string[] = [
  // CatalogReads.standingOf (the forum's roles): the item, its instructor or an admin among users, and an
  // enrollment in it, in one statement per forum write.
  'catalog/catalog-item.repository.ts -> enrollments',
  'catalog/catalog-item.repository.ts -> users',
  // enrollContext (the user exists, the item and its price, any enrollment already there: Enroll's checks in one
  // statement), partiesOf (the authorizer's enrollment lookup: its user, item and the item's instructor in one
  // join).
  'enrollment/enrollment.repository.ts -> catalog_items',
  'enrollment/enrollment.repository.ts -> users',
  // Progress counts the item's current lessons in the statement that reads the completions, so that a deleted
  // lesson stops counting and the percentage never mixes two moments; a completion finds the enrollment of the
  // lesson's item in the statement that records it.
  'enrollment/lesson-progress.repository.ts -> lessons',
];

/** Each table (or collection) of a domain -> the domain. */
function tableOwners(owners: Readonly<Record<string, DomainModule>>): Map<string, string> {
  const tables = new Map<string, string>();
  for (const [domain, module] of Object.entries(owners)) {
    for (const entity of [...module.entities, ...(module.mongoEntities ?? [])]) {
      tables.set(entity.meta.tableName ?? entity.meta.collection, domain);
    }
  }
  return tables;
}

/** The text of every string literal and template (its literal parts) in a TypeScript source. */
function stringsOf(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) found.push(node.text);
    else if (ts.isTemplateExpression(node))
      found.push([node.head.text, ...node.templateSpans.map((span) => span.literal.text)].join(' ? '));
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const TABLE_REFERENCE = /\b(?:from|join|into|update)\s+"?([a-z_][a-z0-9_]*)"?/gi;

/** Every `file -> table` where a file (path under src/) names in SQL a table its folder does not own. */
function foreignTables(files: ReadonlyMap<string, string>, owners: ReadonlyMap<string, string>): string[] {
  const found = new Set<string>();
  for (const [file, text] of files) {
    const folder = file.split('/')[0] ?? '';
    const checked = SHARED.includes(folder) || [...owners.values()].includes(folder);
    if (!checked || !file.includes('/')) continue;
    for (const literal of stringsOf(file, text)) {
      for (const [, table = ''] of literal.matchAll(TABLE_REFERENCE)) {
        const owner = owners.get(table.toLowerCase());
        if (owner !== undefined && owner !== folder) found.add(`${file} -> ${table.toLowerCase()}`);
      }
    }
  }
  return [...found].sort();
}

function sourceFiles(): Map<string, string> {
  return new Map(tsFiles(SRC).map((file) => [path.relative(SRC, file), readFileSync(file, 'utf8')]));
}

describe('tables of the domains of src/', () => {
  const owners = tableOwners(OWNERS);
  const foreign = foreignTables(sourceFiles(), owners);

  it('when the modules are read, then every module is a domain of the list and every table has one owner', () => {
    expect([...Object.values(OWNERS)].sort()).toEqual([...MODULES].sort());
    const declared = Object.values(OWNERS).flatMap((module) => [...module.entities, ...(module.mongoEntities ?? [])]);
    expect(owners.size).toBe(declared.length);
    expect(owners.get('catalog_items')).toBe('catalog');
    expect(owners.get('forum_posts')).toBe('forum');
  });

  it("when the files of src/ are read, then no SQL in a domain (or src/auth, src/server) names another domain's table but a known exception", () => {
    expect(foreign.filter((edge) => !KNOWN_EXCEPTIONS.includes(edge))).toEqual([]);
  });

  it('when the files of src/ are read, then every known exception still exists (a removed one leaves the list)', () => {
    expect(KNOWN_EXCEPTIONS.filter((edge) => !foreign.includes(edge))).toEqual([]);
  });

  it("when a file names another domain's table in SQL, then the check names the file and the table, and nothing else", () => {
    const sample = new Map([
      ['forum/forum-access.ts', 'const q = `select 1\n  from enrollments e\n  join catalog_items ci on ci.id = e.catalog_item_id`;'],
      ['forum/thread.repository.ts', "db.collection('forum_threads'); const s = 'select * from forum_threads';"],
      // Prose in a comment is not SQL; a word after `from` that is no table is nothing.
      ['analytics/event-context.ts', '// reads roles from users\nconst s = "roles from identity";'],
      ['auth/access-lookups.ts', 'rawQuery(em, \'select user_id from "payments" where id = ?\', [id]);'],
      ['asset/asset.repository.ts', ['const s = `insert into audit_log (id) values (', '$', '{id})`; update(lessons);'].join('')],
      ['db/migrations/m.ts', "this.addSql('update users set role = 1');"],
    ]);
    expect(foreignTables(sample, owners)).toEqual([
      'asset/asset.repository.ts -> audit_log',
      'auth/access-lookups.ts -> payments',
      'forum/forum-access.ts -> catalog_items',
      'forum/forum-access.ts -> enrollments',
    ]);
  });
});
