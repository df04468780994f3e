import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261125001401 } from './Migration20261125001401.js';
import { Migration20261125002150 } from './Migration20261125002150.js';
import { Migration20261125002518 } from './Migration20261125002518.js';

import { Migration20261125002724 } from './Migration20261125002724.js';
import { Migration20261125005514 } from './Migration20261125005514.js';
import { Migration20261202000004 } from './Migration20261202000004.js';
import { Migration20261202000225 } from './Migration20261202000225.js';
import { Migration20261202004250 } from './Migration20261202004250.js';
import { Migration20261202065800 } from './Migration20261202065800.js';

/**
 * Applied in this order. `npm run migration:create` writes a new one from the
 * entity diff; append it here. A released migration is never edited.
 */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261125001401', class: Migration20261125001401 },
  { name: 'Migration20261125002150', class: Migration20261125002150 },
  { name: 'Migration20261125002518', class: Migration20261125002518 },

  { name: 'Migration20261125002724', class: Migration20261125002724 },
  { name: 'Migration20261125005514', class: Migration20261125005514 },
  { name: 'Migration20261202000004', class: Migration20261202000004 },
  { name: 'Migration20261202000225', class: Migration20261202000225 },
  { name: 'Migration20261202004250', class: Migration20261202004250 },
  { name: 'Migration20261202065800', class: Migration20261202065800 },
];
