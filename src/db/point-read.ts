import {
  type EntityDictionary,
  type EntityManager,
  type EntityMetadata,
  type EntityName,
  type EntityProperty,
  ReferenceKind,
  TransactionContext,
} from '@mikro-orm/core';
import { noForkYet } from './request-scope.js';

/** How the hot reads turn rows of one entity's table into values: built once per entity. */
interface RowReader {
  /** `select <columns> from <table>`. */
  readonly select: string;
  /** A row (column names, driver values) -> a detached value of the entity's shape. */
  readonly detach: (row: Record<string, unknown>) => object;
}

// biome-ignore lint/suspicious/noExplicitAny: one reader per entity, whatever its type.
const readers = new WeakMap<EntityMetadata<any>, RowReader>();

/**
 * The stored columns of an entity's eagerly loaded properties (scalars and
 * owning foreign keys), none of its lazy ones.
 */
function readProps<T extends object>(meta: EntityMetadata<T>): EntityProperty<T>[] {
  return meta.props.filter(
    (prop) =>
      !prop.lazy &&
      prop.persist !== false &&
      prop.formula === undefined &&
      prop.fieldNames?.length === 1 &&
      (prop.kind === ReferenceKind.SCALAR ||
        prop.kind === ReferenceKind.MANY_TO_ONE ||
        (prop.kind === ReferenceKind.ONE_TO_ONE && prop.owner)),
  );
}

function readerOf<T extends object>(em: EntityManager, entityName: EntityName<T>): RowReader {
  const meta = em.getMetadata().get(entityName);
  let reader = readers.get(meta);
  if (reader === undefined) {
    const platform = em.getPlatform();
    const fields = readProps(meta).map((prop) => {
      const column = prop.fieldNames[0] as string;
      const custom = prop.customType;
      const toJs: (value: unknown) => unknown = custom
        ? (value) => custom.convertToJSValue(value, platform)
        : prop.runtimeType === 'Date'
          ? (value) => (value instanceof Date ? value : platform.parseDate(value as string))
          : (value) => value;
      // A foreign key becomes `{ id }`: what handlers read of a relation, and what a cached copy holds.
      const convert = prop.kind === ReferenceKind.SCALAR ? toJs : (value: unknown) => ({ id: toJs(value) });
      return { name: prop.name, column, convert };
    });
    reader = {
      select: `select ${fields.map((f) => `"${f.column}"`).join(', ')} from "${meta.tableName}"`,
      detach: (row) => {
        const value: Record<string, unknown> = {};
        for (const { name, column, convert } of fields) {
          const raw = row[column];
          value[name] = raw === null || raw === undefined ? null : convert(raw);
        }
        return value;
      },
    };
    readers.set(meta, reader);
  }
  return reader;
}

/**
 * True when `em` is the global EntityManager, no transaction is running and
 * this request has not made its fork yet: nothing can be in a unit of work
 * or a transaction, and asking would make the fork (a new EntityManager and
 * unit of work) for nothing.
 */
function untouched(em: EntityManager): boolean {
  return em.global && TransactionContext.getEntityManager(em.name) === undefined && noForkYet(em.name);
}

/**
 * `select <columns> from <table>` of an entity: every stored column of its
 * eagerly loaded properties, none of its lazy ones. Hot reads start from it
 * instead of having the ORM build the same statement on every call.
 */
export function selectFrom<T extends object>(em: EntityManager, entityName: EntityName<T>): string {
  return readerOf(em, entityName).select;
}

/**
 * Runs one statement that selects `selectFrom(entityName)`'s columns (`?`
 * placeholders) and returns its rows as values of the entity.
 *
 * Inside a transaction they are managed entities of its unit of work (the
 * transaction may change and flush them). Outside one they are detached plain
 * values of the entity's shape, relations as `{ id }`, like a cached copy:
 * read-only answers, and hydrating managed entities (a property descriptor
 * per field, a snapshot per entity) cost more than the query itself.
 */
export async function readEntities<T extends object>(
  em: EntityManager,
  entityName: EntityName<T>,
  sql: string,
  params: readonly unknown[],
): Promise<T[]> {
  const { rows, inTransaction } = await selectRows(em, sql, params);
  if (inTransaction) return rows.map((row) => em.map(entityName, row as EntityDictionary<T>));
  const { detach } = readerOf(em, entityName);
  return rows.map((row) => detach(row) as T);
}

/** Runs one select in `em`'s transaction if it has one; outside one, where the call's reads go (see ReadRouter), as the ORM's own finds do. */
async function selectRows(
  em: EntityManager,
  sql: string,
  params: readonly unknown[],
): Promise<{ rows: Record<string, unknown>[]; inTransaction: boolean }> {
  const tx = untouched(em) ? undefined : em.getTransactionContext();
  const connection = em.getConnection(tx === undefined ? 'read' : 'write');
  const rows: Record<string, unknown>[] = await connection.execute(sql, [...params], 'all', tx);
  return { rows, inTransaction: tx !== undefined };
}

/** `select ... where "id" = ?` plus `condition` (plain SQL over the table's columns). */
function byPrimaryKey(em: EntityManager, entityName: EntityName<object>, condition: { readonly sql: string } | undefined): string {
  return `${selectFrom(em, entityName)} where "id" = ?${condition ? ` and ${condition.sql}` : ''}`;
}

/**
 * Runs one statement that selects `selectFrom(entityName)`'s columns and
 * returns its rows as plain read models `V` (the entity's stored fields,
 * relations as `{ id }`), never managed entities, in or out of a
 * transaction: the fast read path of a repository, for answers and caches.
 */
export async function readModels<V, T extends object = object>(
  em: EntityManager,
  entityName: EntityName<T>,
  sql: string,
  params: readonly unknown[],
): Promise<V[]> {
  const { rows } = await selectRows(em, sql, params);
  const { detach } = readerOf(em, entityName);
  return rows.map((row) => detach(row) as V);
}

/** One read model by primary key (`where "id" = ?` plus `condition`); see readModels. */
export async function readModelByPrimaryKey<V, T extends object = object>(
  em: EntityManager,
  entityName: EntityName<T>,
  id: string,
  condition: { readonly sql: string } | undefined = undefined,
): Promise<V | null> {
  const [found] = await readModels<V, T>(em, entityName, byPrimaryKey(em, entityName as EntityName<object>, condition), [id]);
  return found ?? null;
}

/**
 * One entity by primary key (`where "id" = ?` plus `condition`, plain SQL
 * over the table's columns) through a fixed statement; see readEntities for
 * what comes back. An entity this unit of work already holds is read through
 * findOne, so a transaction's unflushed changes are never overwritten.
 */
export async function findByPrimaryKey<T extends object>(
  em: EntityManager,
  entityName: EntityName<T>,
  id: string,
  condition: { readonly sql: string; readonly where: Record<string, unknown> } | undefined = undefined,
): Promise<T | null> {
  if (!untouched(em) && em.getUnitOfWork().getById(entityName, id as never) !== undefined) {
    return em.findOne(entityName, { id, ...condition?.where } as never) as Promise<T | null>;
  }
  const [found] = await readEntities(em, entityName, byPrimaryKey(em, entityName as EntityName<object>, condition), [id]);
  return found ?? null;
}
