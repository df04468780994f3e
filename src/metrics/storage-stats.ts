import type { MikroORM } from '@mikro-orm/core';
import type { Db, MongoClient } from 'mongodb';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../logger.js';

export interface TableStats {
  readonly table: string;
  readonly bytes: number;
  readonly rows: number | undefined;
}

const POSTGRES_TABLES = `
select c.relname as "table",
       pg_total_relation_size(c.oid)::float8 as "bytes",
       coalesce(s.n_live_tup, greatest(c.reltuples, 0))::float8 as "rows"
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
  left join pg_stat_user_tables s on s.relid = c.oid
 where c.relkind in ('r', 'p') and n.nspname = current_schema()`;

/** Size (table, indexes and TOAST) and live rows of every table in the current schema. */
export async function postgresTableStats(orm: MikroORM): Promise<TableStats[]> {
  const rows: { table: string; bytes: number; rows: number }[] = await orm.em.getConnection().execute(POSTGRES_TABLES);
  return rows.map((r) => ({ table: r.table, bytes: Number(r.bytes), rows: Number(r.rows) }));
}

/** Storage size and document count of every collection (count only where $collStats is not supported). */
export async function mongoCollectionStats(orm: MikroORM): Promise<TableStats[]> {
  const connection = orm.em.getConnection() as unknown as { getDb(): Db; getClient(): MongoClient };
  const db = connection.getDb();
  const collections = await db.listCollections({}, { nameOnly: true }).toArray();
  const stats: TableStats[] = [];
  for (const { name } of collections) {
    if (name.startsWith('system.')) continue;
    const collection = db.collection(name);
    try {
      const [s] = await collection
        .aggregate<{ storageStats: { size: number; totalIndexSize?: number; count: number } }>([{ $collStats: { storageStats: {} } }])
        .toArray();
      if (!s) throw new Error('no $collStats');
      stats.push({ table: name, bytes: s.storageStats.size + (s.storageStats.totalIndexSize ?? 0), rows: s.storageStats.count });
    } catch {
      stats.push({ table: name, bytes: Number.NaN, rows: await collection.estimatedDocumentCount() });
    }
  }
  return stats;
}

/**
 * `db_table_size_bytes` and `db_table_rows` per table and collection,
 * refreshed every `intervalMs` in the background (never per scrape: these
 * queries walk the catalog). A failed refresh keeps the last values.
 */
export class StorageStats {
  private readonly size: Gauge<'db_system' | 'table'>;
  private readonly rows: Gauge<'db_system' | 'table'>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly seen = new Map<string, string[]>();

  constructor(
    registry: Registry,
    private readonly sources: { readonly postgresql?: () => Promise<TableStats[]>; readonly mongodb?: () => Promise<TableStats[]> },
    private readonly log?: Logger,
  ) {
    this.size = new Gauge({
      name: 'db_table_size_bytes',
      help: 'Bytes a table (with its indexes and TOAST) or a collection (data and indexes) takes on disk.',
      labelNames: ['db_system', 'table'],
      registers: [registry],
    });
    this.rows = new Gauge({
      name: 'db_table_rows',
      help: 'Live rows of a table (statistics estimate) or documents of a collection.',
      labelNames: ['db_system', 'table'],
      registers: [registry],
    });
  }

  /** Refreshes now and then every `intervalMs`. */
  start(intervalMs: number): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), intervalMs);
    this.timer.unref();
  }

  async refresh(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      for (const [system, source] of Object.entries(this.sources)) {
        if (source === undefined) continue;
        try {
          const stats = await source();
          // Tables that are gone disappear from the series.
          for (const table of this.seen.get(system) ?? []) {
            this.size.remove({ db_system: system, table });
            this.rows.remove({ db_system: system, table });
          }
          this.seen.set(
            system,
            stats.map((s) => s.table),
          );
          for (const s of stats) {
            if (Number.isFinite(s.bytes)) this.size.set({ db_system: system, table: s.table }, s.bytes);
            if (s.rows !== undefined && Number.isFinite(s.rows)) this.rows.set({ db_system: system, table: s.table }, s.rows);
          }
        } catch (err) {
          this.log?.warn({ err, db_system: system }, 'storage statistics not refreshed');
        }
      }
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
