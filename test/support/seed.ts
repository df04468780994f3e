import type pg from 'pg';
import { sealedProviderRef, sealedUser } from './field-keys.js';

export interface SeedSizes {
  readonly users: number;
  readonly instructors: number;
  readonly items: number;
  readonly lessonsPerItem: number;
  /** Enrollments per student, over consecutive items. */
  readonly enrollmentsPerStudent: number;
}

export const LARGE: SeedSizes = { users: 100_000, instructors: 1_000, items: 100_000, lessonsPerItem: 3, enrollmentsPerStudent: 2 };

/**
 * Bulk rows for plan and load tests, written with set-based SQL (seconds, not
 * minutes). Passwords are an unusable placeholder hash: nobody logs in as these.
 * Personal columns hold one sealed value shared by every row (readable under
 * the default test keys) and email_key a distinct 64-hex value per row.
 */
export async function seed(client: pg.Client, sizes: SeedSizes = LARGE): Promise<void> {
  const sealed = sealedUser('Seed user', 'seed@example.test');
  await client.query('begin');
  await client.query(
    `insert into users (id, name, email, email_key, role, password_hash, create_time, update_time, version)
     select gen_random_uuid(), $3, $4, encode(sha256(convert_to('seed' || g, 'UTF8')), 'hex'),
            case when g <= $2 then 'instructor' else 'student' end, '!', now() - (g || ' seconds')::interval, now(), 1
     from generate_series(1, $1) g`,
    [sizes.users, sizes.instructors, sealed.name, sealed.email],
  );
  await client.query(
    `with i as (select array_agg(id order by id) ids from users where role = 'instructor')
     insert into catalog_items (id, title, description, price_amount, currency, published, instructor_id, create_time, update_time, version)
     select gen_random_uuid(), 'Course ' || g || ' ' || (array['databases','networks','compilers','statistics','design'])[1 + g % 5],
            'About ' || (array['keys and indexes','packets','parsers','inference','typography'])[1 + g % 5],
            (g % 10) * 1000, 'EUR', g % 4 <> 0, i.ids[1 + g % array_length(i.ids, 1)], now() - (g || ' minutes')::interval, now(), 1
     from generate_series(1, $1) g, i`,
    [sizes.items],
  );
  await client.query(
    `insert into lessons (id, catalog_item_id, title, position, create_time, update_time, version)
     select gen_random_uuid(), c.id, 'Lesson ' || p, p, now(), now(), 1
     from catalog_items c cross join generate_series(1, $1) p`,
    [sizes.lessonsPerItem],
  );
  // Equality joins on precomputed row numbers, so the planner can hash them.
  const { rows } = await client.query<{ total: string }>('select count(*) total from catalog_items where published');
  const published = Number(rows[0]?.total ?? 0);
  await client.query(
    `with s as (select id, row_number() over (order by id) n from users where role = 'student'),
          c as (select id, row_number() over (order by id) - 1 n from catalog_items where published)
     insert into enrollments (id, user_id, catalog_item_id, status, enrolled_at, version)
     select gen_random_uuid(), s.user_id, c.id, 'active', now() - (s.n || ' seconds')::interval, 1
     from (select s.id user_id, s.n, (s.n + k) % $2 slot from s cross join generate_series(0, $1 - 1) k) s
     join c on c.n = s.slot`,
    [sizes.enrollmentsPerStudent, published],
  );
  await client.query(
    `insert into lesson_progress (id, user_id, catalog_item_id, lesson_id, completed_at)
     select gen_random_uuid(), e.user_id, e.catalog_item_id, l.id, now()
     from enrollments e join lessons l on l.catalog_item_id = e.catalog_item_id and l.position = 1`,
  );
  await client.query(
    `insert into payments (id, user_id, enrollment_id, amount, currency, status, provider_ref, create_time, update_time, version)
     select gen_random_uuid(), e.user_id, e.id, c.price_amount, 'EUR', 'succeeded', $1, e.enrolled_at, now(), 1
     from enrollments e join catalog_items c on c.id = e.catalog_item_id where c.price_amount > 0`,
    [sealedProviderRef('seed')],
  );
  await client.query(
    `insert into audit_log (id, actor, action, entity_type, entity_id, diff, create_time)
     select gen_random_uuid(), e.user_id::text, 'enrollment.created', 'enrollment', e.id::text, '{}', e.enrolled_at from enrollments e`,
  );
  await client.query('commit');
  await client.query('analyze');
}
