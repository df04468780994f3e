/** The metric labels of one SQL statement. */
export interface SqlLabels {
  /** Upper-case leading keyword: SELECT, INSERT, UPDATE, DELETE, BEGIN, COMMIT, ...; OTHER when unknown. */
  readonly operation: string;
  /** The (first) table it names, without schema or quotes; `none` when it names none. */
  readonly table: string;
}

const OPERATIONS = new Set([
  'select',
  'insert',
  'update',
  'delete',
  'begin',
  'start',
  'commit',
  'rollback',
  'savepoint',
  'release',
  'set',
  'reset',
  'with',
  'call',
  'truncate',
  'create',
  'alter',
  'drop',
  'show',
  'explain',
  'lock',
  'copy',
  'values',
  'analyze',
  'vacuum',
  'fetch',
]);
const IDENT = '((?:"[^"]+"|[A-Za-z_][\\w$]*)(?:\\.(?:"[^"]+"|[A-Za-z_][\\w$]*))?)';
const FROM = new RegExp(`\\bfrom\\s+${IDENT}`, 'i');
const INTO = new RegExp(`\\binto\\s+${IDENT}`, 'i');
const UPDATE = new RegExp(`^\\s*update\\s+(?:only\\s+)?${IDENT}`, 'i');
const TABLE = /^[a-z_][a-z0-9_$]*$/;
const MAX_CACHED = 2_000;
const MAX_SCANNED = 600;

const cache = new Map<string, SqlLabels>();

/**
 * Labels of a statement from a cheap look at its head (no full parse). The
 * head up to the first string literal is the cache key: the ORM inlines
 * parameters, and what comes before them names the operation and the table.
 * The cache is cleared when it fills, so its size stays bounded.
 */
export function sqlLabels(sql: string): SqlLabels {
  let head = sql.length > MAX_SCANNED ? sql.slice(0, MAX_SCANNED) : sql;
  const quote = head.indexOf("'");
  if (quote >= 0) head = head.slice(0, quote);
  let labels = cache.get(head);
  if (labels === undefined) {
    labels = parse(head);
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(head, labels);
  }
  return labels;
}

function parse(head: string): SqlLabels {
  const keyword = /^\s*([A-Za-z]+)/.exec(head)?.[1]?.toLowerCase() ?? '';
  const operation = OPERATIONS.has(keyword) ? keyword.toUpperCase() : 'OTHER';
  const pattern = keyword === 'insert' ? INTO : keyword === 'update' ? UPDATE : FROM;
  const found =
    keyword === 'select' || keyword === 'delete' || keyword === 'with' || pattern !== FROM ? pattern.exec(head)?.[1] : undefined;
  return { operation, table: tableName(found) };
}

function tableName(qualified: string | undefined): string {
  if (qualified === undefined) return 'none';
  const parts = qualified.split('.');
  const name = (parts[parts.length - 1] ?? '').replaceAll('"', '').toLowerCase();
  return TABLE.test(name) ? name : 'other';
}
