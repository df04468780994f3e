import type { FieldChecks } from '../validation/field-checks.js';
import type { CatalogItemSortKey } from './catalog-item.repository.js';

export interface CatalogItemOrder {
  readonly sort: CatalogItemSortKey;
  readonly direction: 'asc' | 'desc';
}

/** order_by field -> sort key and the direction it has when none is given. */
const FIELDS: Record<string, CatalogItemOrder> = {
  create_time: { sort: 'createTime', direction: 'desc' },
  title: { sort: 'title', direction: 'asc' },
  price: { sort: 'priceAmount', direction: 'asc' },
};

export const DEFAULT_CATALOG_ITEM_ORDER: CatalogItemOrder = { sort: 'createTime', direction: 'desc' };

/**
 * ListCatalogItems' order_by in AIP-132 form: one field (`create_time`,
 * `title` or `price`), optionally followed by `asc` or `desc`. Empty means
 * newest first. `create_time` alone is newest first too; the others ascend.
 * Anything else is a violation on `field`.
 */
export function parseCatalogItemOrder(orderBy: string, checks: FieldChecks, field = 'order_by'): CatalogItemOrder {
  const words = orderBy
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
  if (words.length === 0) return DEFAULT_CATALOG_ITEM_ORDER;
  const [name = '', direction, extra] = words;
  const known = Object.hasOwn(FIELDS, name) ? FIELDS[name] : undefined;
  const dir = direction?.toLowerCase();
  if (known === undefined || extra !== undefined || (dir !== undefined && dir !== 'asc' && dir !== 'desc')) {
    checks.add(
      field,
      'INVALID_ORDER_BY',
      `${field} must be one of create_time, title or price, optionally followed by asc or desc; got ${JSON.stringify(orderBy)}`,
    );
    return DEFAULT_CATALOG_ITEM_ORDER;
  }
  return { sort: known.sort, direction: dir ?? known.direction };
}
