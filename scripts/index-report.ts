import type pg from 'pg';

export interface UnusedIndex {
  readonly table: string;
  readonly index: string;
  readonly bytes: number;
}

export interface SeqScannedTable {
  readonly table: string;
  readonly seqScans: number;
  readonly seqRowsRead: number;
  readonly indexScans: number;
  readonly rows: number;
}

export interface UnindexedForeignKey {
  readonly table: string;
  readonly constraint: string;
  readonly columns: string;
  readonly references: string;
}

/** Non-unique indexes never used for a scan since statistics were last reset: they only cost writes. */
export async function unusedIndexes(db: pg.ClientBase): Promise<UnusedIndex[]> {
  const { rows } = await db.query<{ table: string; index: string; bytes: string }>(`
    select s.relname as "table", s.indexrelname as "index", pg_relation_size(s.indexrelid) as "bytes"
      from pg_stat_user_indexes s
      join pg_index i on i.indexrelid = s.indexrelid
     where s.idx_scan = 0 and not i.indisunique and not i.indisprimary and s.schemaname = current_schema()
     order by pg_relation_size(s.indexrelid) desc, 1, 2`);
  return rows.map((r) => ({ ...r, bytes: Number(r.bytes) }));
}

/** Tables with at least `minRows` rows read more often by sequential scans than by indexes. */
export async function seqScannedTables(db: pg.ClientBase, minRows = 1_000): Promise<SeqScannedTable[]> {
  const { rows } = await db.query<Record<keyof SeqScannedTable, string>>(
    `select relname as "table", seq_scan as "seqScans", seq_tup_read as "seqRowsRead",
            coalesce(idx_scan, 0) as "indexScans", n_live_tup as "rows"
       from pg_stat_user_tables
      where schemaname = current_schema() and seq_scan > coalesce(idx_scan, 0) and n_live_tup >= $1
      order by seq_tup_read desc, 1`,
    [minRows],
  );
  return rows.map((r) => ({
    table: r.table,
    seqScans: Number(r.seqScans),
    seqRowsRead: Number(r.seqRowsRead),
    indexScans: Number(r.indexScans),
    rows: Number(r.rows),
  }));
}

/**
 * Foreign keys whose columns do not lead any index of their table: deleting
 * or updating a referenced row then scans the whole referencing table.
 */
export async function unindexedForeignKeys(db: pg.ClientBase): Promise<UnindexedForeignKey[]> {
  const { rows } = await db.query<UnindexedForeignKey>(`
    select c.conrelid::regclass::text as "table",
           c.conname as "constraint",
           array_to_string(array(
             select a.attname from unnest(c.conkey) with ordinality k(attnum, n)
               join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
              order by k.n), ', ') as "columns",
           c.confrelid::regclass::text as "references"
      from pg_constraint c
      join pg_namespace n on n.oid = c.connamespace
     where c.contype = 'f' and n.nspname = current_schema()
       and not exists (
         select 1 from pg_index i
          where i.indrelid = c.conrelid
            and (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(c.conkey)] @> c.conkey
            and (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(c.conkey)] <@ c.conkey)
     order by 1, 2`);
  return rows;
}

/** Rows as a plain-text table with a header, or a line saying there are none. */
export function formatTable(title: string, rows: readonly object[]): string {
  if (rows.length === 0) return `${title}: none\n`;
  const columns = Object.keys(rows[0] as object);
  const cells = rows.map((row) => columns.map((c) => String((row as Record<string, unknown>)[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [`${title}:`, line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line), ''].join('\n');
}
