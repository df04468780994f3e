import type { MigrationObject } from '@mikro-orm/core';
import { MODULES } from '../../modules.js';
import { Migration20261125001401 } from './Migration20261125001401.js';
import { Migration20261125002150 } from './Migration20261125002150.js';
import { Migration20261125002518 } from './Migration20261125002518.js';

import { Migration20261125002724 } from './Migration20261125002724.js';
import { Migration20261125005514 } from './Migration20261125005514.js';
import { Migration20261202000225 } from './Migration20261202000225.js';
import { Migration20261202004250 } from './Migration20261202004250.js';
import { Migration20261202065800 } from './Migration20261202065800.js';

/**
 * The schema's history before the domains owned their migrations: tables of
 * several domains at once. `npm run migration:create` writes a new migration
 * from the entity diff into this folder; move it to the folder of the domain
 * whose tables it changes and list it in its module's `migrations` (one that
 * spans domains stays here, appended). A released migration is never edited.
 */
const SHARED_HISTORY: MigrationObject[] = [
  { name: 'Migration20261125001401', class: Migration20261125001401 },
  { name: 'Migration20261125002150', class: Migration20261125002150 },
  { name: 'Migration20261125002518', class: Migration20261125002518 },

  { name: 'Migration20261125002724', class: Migration20261125002724 },
  { name: 'Migration20261125005514', class: Migration20261125005514 },
  { name: 'Migration20261202000225', class: Migration20261202000225 },
  { name: 'Migration20261202004250', class: Migration20261202004250 },
  { name: 'Migration20261202065800', class: Migration20261202065800 },
];

/** Every migration, the shared history's and each module's, applied in the order of their names (their timestamps). */
export const migrations: MigrationObject[] = [...SHARED_HISTORY, ...MODULES.flatMap((module) => module.migrations ?? [])].sort((a, b) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
);
