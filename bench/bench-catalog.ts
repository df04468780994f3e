import type pg from 'pg';

/** Lessons of every seeded catalog item. */
export const BENCH_LESSONS_PER_ITEM = 10;

/** First 48 bits of the seeded ids: fixed millisecond times, as in a UUIDv7 (users use 0x019a_0000_0000). */
const ITEM_TIME_BASE = 0x019a_1000_0000;
const LESSON_TIME_BASE = 0x019a_2000_0000;
const ENROLLMENT_TIME_BASE = 0x019a_3000_0000;

function uuidOf(timeBase: number, i: number): string {
  const time = (timeBase + i).toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7000-8000-${i.toString(16).padStart(12, '0')}`;
}

function sqlUuidOf(timeBase: number, column: string): string {
  return `(
    substr(lpad(to_hex(${timeBase}::bigint + ${column}), 12, '0'), 1, 8) || '-' ||
    substr(lpad(to_hex(${timeBase}::bigint + ${column}), 12, '0'), 9, 4) || '-7000-8000-' ||
    lpad(to_hex(${column}), 12, '0')
  )::uuid`;
}

/** The id of the i-th seeded catalog item. */
export function benchItemId(i: number): string {
  return uuidOf(ITEM_TIME_BASE, i);
}

/** Every tenth seeded item (i % 10 === 9) is unpublished; the rest are on sale. */
export function benchItemPublished(i: number): boolean {
  return i % 10 !== 9;
}

/** The id of lesson `position` (1-based) of the i-th seeded item. */
export function benchLessonId(item: number, position: number): string {
  return uuidOf(LESSON_TIME_BASE, item * BENCH_LESSONS_PER_ITEM + position - 1);
}

/**
 * The published item seeded user `user` is enrolled in: one enrollment per
 * seeded user, spread over the items.
 */
export function benchEnrolledItem(user: number, items: number): number {
  const i = user % items;
  return benchItemPublished(i) ? i : i - 1;
}

/**
 * Makes catalog items 0..count-1 exist (priced 0..90.00 EUR, nine in ten
 * published, newest last, no instructor), each with BENCH_LESSONS_PER_ITEM
 * lessons, inserted in bulk with SQL. Idempotent.
 */
export async function ensureBenchItems(sql: pg.Client, count: number): Promise<number> {
  const { rows } = await sql.query<{ n: string }>('select count(*) as n from catalog_items');
  const existing = Number(rows[0]?.n ?? 0);
  if (existing >= count) return count;
  await sql.query(
    `insert into catalog_items (id, title, description, price_amount, currency, published, instructor_id, create_time, update_time, version)
     select ${sqlUuidOf(ITEM_TIME_BASE, 'g')}, 'Bench course ' || g, 'About bench topic ' || g || ', in some depth.',
            (g % 10) * 1000, 'EUR', g % 10 <> 9, null, timestamptz '2026-01-01' + g * interval '1 second', now(), 1
     from generate_series($1::int, $2::int) as g`,
    [existing, count - 1],
  );
  await sql.query(
    `insert into lessons (id, catalog_item_id, title, position, create_time, update_time, version)
     select ${sqlUuidOf(LESSON_TIME_BASE, `(g * ${BENCH_LESSONS_PER_ITEM} + p - 1)`)}, ${sqlUuidOf(ITEM_TIME_BASE, 'g')},
            'Lesson ' || p, p, now(), now(), 1
     from generate_series($1::int, $2::int) as g cross join generate_series(1, ${BENCH_LESSONS_PER_ITEM}) as p`,
    [existing, count - 1],
  );
  await sql.query('analyze catalog_items');
  await sql.query('analyze lessons');
  const last = await sql.query('select 1 from lessons where id = $1 and catalog_item_id = $2', [
    benchLessonId(count - 1, BENCH_LESSONS_PER_ITEM),
    benchItemId(count - 1),
  ]);
  if (last.rowCount !== 1) throw new Error('seeded item or lesson ids do not match benchItemId() / benchLessonId()');
  return count;
}

/**
 * One active enrollment per seeded user (0..users-1), in benchEnrolledItem's
 * item, in bulk with SQL. Needs the users and items seeded. Idempotent.
 */
export async function ensureBenchEnrollments(sql: pg.Client, users: number, items: number): Promise<void> {
  const { rows } = await sql.query<{ n: string }>('select count(*) as n from enrollments where id = $1', [
    uuidOf(ENROLLMENT_TIME_BASE, users - 1),
  ]);
  if (Number(rows[0]?.n ?? 0) > 0) return;
  await sql.query(
    `insert into enrollments (id, user_id, catalog_item_id, status, enrolled_at, version)
     select ${sqlUuidOf(ENROLLMENT_TIME_BASE, 'u')}, ${sqlUuidOf(0x019a_0000_0000, 'u')},
            ${sqlUuidOf(ITEM_TIME_BASE, `(case when (u % $2) % 10 = 9 then u % $2 - 1 else u % $2 end)`)},
            'active', now(), 1
     from generate_series(0, $1::int - 1) as u
     on conflict do nothing`,
    [users, items],
  );
  await sql.query('analyze enrollments');
}
