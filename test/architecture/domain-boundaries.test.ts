import { describe, expect, it } from 'vitest';
import { importGraph } from './import-graph.js';

/**
 * Boundaries between the domain folders of src/. A file of one domain may
 * import, of another domain, only its public surface:
 * - its module, `src/<domain>/<domain>.module.ts` (what it declares to the
 *   composition root; its `<domain>.rules.ts` is not public: the module
 *   hands the rules on);
 * - the files listed in PUBLIC below, the interfaces it offers the others
 *   (src/billing/billing.ts, src/catalog/catalog.ts...), among them the
 *   reads of its tables (test/architecture/table-ownership.test.ts);
 * - from an entity file, another domain's entity file: a relation between
 *   their tables (a foreign key) is part of the schema, not a shortcut.
 * Everything else is listed in KNOWN_EXCEPTIONS with the reason it stays, so
 * that any new import past a boundary fails here, and a fixed one has to
 * leave the list. Type-only imports count (import-graph.ts); folders that are
 * not domains (src/auth, src/db, src/server...) and src/app.ts, src/modules.ts
 * are not checked.
 */

const DOMAINS = ['identity', 'catalog', 'enrollment', 'billing', 'forum', 'analytics', 'audit', 'asset'] as const;
type Domain = (typeof DOMAINS)[number];

/** Each domain's interfaces for the others, besides its module (file names in its folder). */
const PUBLIC: Readonly<Record<Domain, readonly string[]>> = {
  // The reads of its tables the others need (rolesOf).
  identity: ['identity.ts'],
  // A catalog item as read (cached or not), the visibility rule (re-exported there), and the reads of its tables.
  catalog: ['catalog.ts'],
  // The reads of its tables the others need (enrollmentParties, isEnrolled).
  enrollment: ['enrollment.ts'],
  // The charge and refund the enrollment domain calls, the port it implements (PaidEnrollments), and the reads of its tables.
  billing: ['billing.ts'],
  // The reads of its collections the authorizer needs (the item of a thread or post).
  forum: ['forum.ts'],
  analytics: [],
  // recordAudit, diffOf, and the AuditedActions every module adds to.
  audit: ['audit-log.ts'],
  asset: [],
};

/** Imports past a boundary that stay for now, `from -> to` (paths under src/). */
const KNOWN_EXCEPTIONS: readonly string[] = [
  // An item's instructor: a reference to the user row, after checking that the user is an instructor.
  'catalog/catalog-item.service.ts -> identity/user.entity.ts',
];

/** The domain a file under src/ belongs to, if it is in a domain folder. */
function domainOf(file: string): Domain | undefined {
  const [folder, ...rest] = file.split('/');
  return rest.length > 0 && (DOMAINS as readonly string[]).includes(folder ?? '') ? (folder as Domain) : undefined;
}

/** Whether `to` (in another domain than `from`) is that domain's public surface for `from`. */
function isPublic(from: string, to: string, publicFiles: Readonly<Record<Domain, readonly string[]>>): boolean {
  const domain = domainOf(to) as Domain;
  const name = to.slice(domain.length + 1);
  if (name === `${domain}.module.ts` || publicFiles[domain].includes(name)) return true;
  return from.endsWith('.entity.ts') && to.endsWith('.entity.ts');
}

/** Every import from one domain folder into another's files, `from -> to`. */
function crossDomainImports(graph: Map<string, string[]>): string[] {
  return [...graph].flatMap(([from, targets]) =>
    targets
      .filter((to) => domainOf(to) !== undefined && domainOf(from) !== undefined && domainOf(to) !== domainOf(from))
      .map((to) => `${from} -> ${to}`),
  );
}

/** The cross-domain imports that are not to the other domain's public surface. */
function pastBoundaries(graph: Map<string, string[]>, publicFiles = PUBLIC): string[] {
  return crossDomainImports(graph).filter((edge) => {
    const [from = '', to = ''] = edge.split(' -> ');
    return !isPublic(from, to, publicFiles);
  });
}

describe('imports between the domains of src/', () => {
  const graph = importGraph();

  it('when the files of src/ are read, then every import into another domain is to its public surface or a known exception', () => {
    expect(pastBoundaries(graph).filter((edge) => !KNOWN_EXCEPTIONS.includes(edge))).toEqual([]);
  });

  it('when the files of src/ are read, then every known exception still exists (a fixed one leaves the list)', () => {
    const past = pastBoundaries(graph);
    expect(KNOWN_EXCEPTIONS.filter((edge) => !past.includes(edge))).toEqual([]);
  });

  it('when the public surface is listed, then every file it names exists', () => {
    const missing = DOMAINS.flatMap((domain) => [`${domain}.module.ts`, ...PUBLIC[domain]].map((name) => `${domain}/${name}`)).filter(
      (file) => !graph.has(file),
    );
    expect(missing).toEqual([]);
  });

  it('when a domain imports another domain, then only the files past its public surface are named', () => {
    const sample = new Map([
      ['asset/asset.service.ts', ['catalog/catalog.ts', 'catalog/lesson.repository.ts', 'asset/asset.entity.ts', 'db/transaction.ts']],
      ['asset/asset.entity.ts', ['catalog/catalog-item.entity.ts']],
      ['asset/asset-access.ts', ['catalog/catalog-item.entity.ts', 'billing/billing.module.ts', 'billing/billing.rules.ts']],
      ['auth/access-lookups.ts', ['catalog/catalog-item.entity.ts']],
    ]);
    expect(pastBoundaries(sample, { ...PUBLIC, catalog: ['catalog.ts'] })).toEqual([
      'asset/asset.service.ts -> catalog/lesson.repository.ts',
      'asset/asset-access.ts -> catalog/catalog-item.entity.ts',
      'asset/asset-access.ts -> billing/billing.rules.ts',
    ]);
  });
});
