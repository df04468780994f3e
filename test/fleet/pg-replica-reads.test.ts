import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthServiceClient } from '../../generated/campus/identity/v1/auth.js';
import { Role } from '../../generated/campus/identity/v1/user.js';
import { createLesson, uniqueEmail } from '../support/builders.js';
import { newRequestId } from '../support/fixtures.js';
import { anonymous, call, callWithMetadata, connect } from '../support/grpc.js';
import { canRunStandby } from '../support/pg-standby.js';
import { atLeast, minLsnOf, type ReplicaFixture, startReplicaFixture } from './pg-replica-fixture.js';

/** A new unpublished item's fields, as CreateCatalogItem takes them. */
const draft = (title: string) => ({
  id: '',
  title,
  description: '',
  price: { currencyCode: 'EUR', amountMinor: 0n },
  published: false,
  instructorId: '',
  etag: '',
});

/**
 * Read-your-writes over a real streaming standby whose replay is paused: the
 * standby lags every write made here, yet stays in rotation (the lag bound
 * is far away), so any read routed to it would miss the write.
 */
describe.skipIf(!canRunStandby)('read replicas: read-your-writes under paused replay', () => {
  let f: ReplicaFixture;
  let auth: AuthServiceClient;

  beforeAll(async () => {
    f = await startReplicaFixture({ DATABASE_REPLICA_MAX_LAG_MS: '600000', DATABASE_REPLICA_PROBE_INTERVAL_MS: '100' });
    auth = connect(AuthServiceClient, f.server.port);
    await f.pair.standby.query('select pg_wal_replay_pause()');
  }, 90_000);
  afterAll(async () => {
    auth?.close();
    await f?.close();
  }, 30_000);

  /** Rows of `table` with this id on the standby: 0 while it has not replayed the write. */
  const onStandby = async (table: string, id: string) =>
    Number((await f.pair.standby.query<{ n: string }>(`select count(*) as n from ${table} where id = '${id}'`))[0]?.n);
  const replicaReads = () => f.metric('db_reads_total', { target: 'replica', reason: 'replica' }).then((v) => v ?? 0);
  /** Resolves once the service sends a read that must include `lsn` to the standby (its probe has seen the replay). */
  const replicaServes = async (lsn: string) => {
    const published = { pageSize: 1, pageToken: '', published: true, instructorId: '', orderBy: '' };
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      const before = await replicaReads();
      await call(f.catalog.listCatalogItems, f.catalog, published, atLeast(f.student.metadata(), lsn));
      if ((await replicaReads()) > before) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the standby was not read at ${lsn}`);
  };

  it('when a caller creates an item, then the write returns its position and its own Get and List show it while the standby lacks it', async () => {
    const { response: item, metadata } = await callWithMetadata(f.catalog.createCatalogItem, f.catalog, {
      catalogItem: draft('Paused replay'),
    });

    expect(minLsnOf(metadata)).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(await onStandby('catalog_items', item.id)).toBe(0);
    expect(await call(f.catalog.getCatalogItem, f.catalog, { id: item.id })).toMatchObject({ id: item.id, title: 'Paused replay' });
    const listed = await call(f.catalog.listCatalogItems, f.catalog, { pageSize: 1000, pageToken: '', instructorId: '', orderBy: '' });
    expect(listed.catalogItems.map((i) => i.id)).toContain(item.id);
  });

  it('when the primary has not yet written out the caller’s commit, then its next list still shows the item', async () => {
    // The primary commits asynchronously (synchronous_commit = off): a commit returns before its WAL is
    // written out. With the WAL writer waiting 10 s between rounds, the create below stays unwritten.
    await f.pair.primary.query(`alter system set wal_writer_delay = '10s'`);
    await f.pair.primary.query('select pg_reload_conf()');
    try {
      // An asynchronous commit wakes a hibernating WAL writer, which then keeps to its 10 s rounds.
      await f.pair.primary.query('select txid_current()');
      await f.pair.standby.query('select pg_wal_replay_resume()');
      await f.pair.caughtUp();
      await f.pair.standby.query('select pg_wal_replay_pause()');
      // Where the paused standby stands (writtenLsn() would commit once more, past it, and the standby would never get there).
      await replicaServes(await f.pair.replayedLsn());

      const item = await call(f.catalog.createCatalogItem, f.catalog, {
        catalogItem: draft('Not written out'),
      });
      const listed = await call(f.catalog.listCatalogItems, f.catalog, { pageSize: 1000, pageToken: '', instructorId: '', orderBy: '' });

      expect(listed.catalogItems.map((i) => i.id)).toContain(item.id);
      expect(await onStandby('catalog_items', item.id)).toBe(0);
    } finally {
      await f.pair.primary.query('alter system reset wal_writer_delay');
      await f.pair.primary.query('select pg_reload_conf()');
    }
  }, 60_000);

  it('when a caller updates an item, then its next read shows the new values and the etag it got updates again', async () => {
    const created = await call(f.catalog.createCatalogItem, f.catalog, {
      catalogItem: draft('Before'),
    });
    const updated = await call(f.catalog.updateCatalogItem, f.catalog, {
      catalogItem: { ...created, title: 'After' },
      updateMask: ['title'],
    });

    const read = await call(f.catalog.getCatalogItem, f.catalog, { id: created.id });
    expect(read).toMatchObject({ title: 'After', etag: updated.etag });
    const again = await call(f.catalog.updateCatalogItem, f.catalog, { catalogItem: { ...read, title: 'Again' }, updateMask: ['title'] });
    expect(again.title).toBe('Again');
    expect(await onStandby('catalog_items', created.id)).toBe(0);
  });

  it('when a caller publishes an item, then its own list of published items shows it, while a list of someone who wrote nothing comes from the lagging replica', async () => {
    const before = await replicaReads();
    const id = await f.publishedItem('Published under lag');
    const published = { pageSize: 1000, pageToken: '', published: true, instructorId: '', orderBy: '' };

    const mine = await call(f.catalog.listCatalogItems, f.catalog, published);
    const theirs = await call(f.catalog.listCatalogItems, f.catalog, published, f.student.metadata());

    expect(mine.catalogItems.map((i) => i.id)).toContain(id);
    // The control: the student's call did read the replica, and the replica does lag.
    expect(theirs.catalogItems.map((i) => i.id)).not.toContain(id);
    expect(await replicaReads()).toBeGreaterThan(before);
  });

  it('when someone signs up, then they can log in at once', async () => {
    const email = uniqueEmail();
    const user = await call(
      f.users.createUser,
      f.users,
      { user: { id: '', name: 'Ada Lovelace', email, role: Role.ROLE_STUDENT, etag: '' }, password: 'correct horse battery' },
      anonymous(),
    );

    const session = await call(auth.login, auth, { email, password: 'correct horse battery' }, anonymous());

    expect(session.user?.id).toBe(user.id);
    expect(await onStandby('users', user.id)).toBe(0);
  });

  it('when a caller enrolls a student, then its list shows the enrollment, and so does the student’s when it sends the position', async () => {
    const itemId = await f.publishedItem('Enroll under lag');
    const { response: enrollment, metadata } = await callWithMetadata(f.enrollments.enroll, f.enrollments, {
      userId: f.student.id,
      catalogItemId: itemId,
      requestId: newRequestId(),
    });
    const lsn = minLsnOf(metadata) ?? '';
    const byUser = { userId: f.student.id, catalogItemId: '', pageSize: 100, pageToken: '' };

    const mine = await call(f.enrollments.listEnrollments, f.enrollments, byUser);
    const studentsWithPosition = await call(f.enrollments.listEnrollments, f.enrollments, byUser, atLeast(f.student.metadata(), lsn));
    const studentsWithout = await call(f.enrollments.listEnrollments, f.enrollments, byUser, f.student.metadata());

    expect(mine.enrollments.map((e) => e.id)).toContain(enrollment.id);
    expect(studentsWithPosition.enrollments.map((e) => e.id)).toContain(enrollment.id);
    expect(studentsWithout.enrollments.map((e) => e.id)).not.toContain(enrollment.id);
  });

  it('when a lesson is completed by a statement of its own (no transaction), then the call still returns a position past it', async () => {
    const itemId = await f.publishedItem('Completion under lag');
    // The item has one lesson already (the fixture's); its second one is completed here.
    const lesson = await createLesson(f.catalog, itemId, { title: 'Two', position: 2 });
    const enrolled = await callWithMetadata(f.enrollments.enroll, f.enrollments, {
      userId: f.student.id,
      catalogItemId: itemId,
      requestId: newRequestId(),
    });
    const { response, metadata } = await callWithMetadata(f.enrollments.recordLessonCompletion, f.enrollments, {
      userId: f.student.id,
      lessonId: lesson.id,
    });
    const position = (lsn: string | undefined) => {
      const [hi = '0', lo = '0'] = (lsn ?? '0/0').split('/');
      return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
    };

    expect(response.completedLessonIds).toEqual([lesson.id]);
    expect(minLsnOf(metadata)).toBeDefined();
    expect(position(minLsnOf(metadata))).toBeGreaterThan(position(minLsnOf(enrolled.metadata)));
  });

  it('when a position is sent that the replica has replayed, then the read goes to the replica', async () => {
    const { metadata } = await callWithMetadata(f.catalog.createCatalogItem, f.catalog, {
      catalogItem: draft('Replayed'),
    });
    await f.pair.standby.query('select pg_wal_replay_resume()');
    try {
      await f.pair.caughtUp();
      await new Promise((resolve) => setTimeout(resolve, 300)); // a probe sees the replay
      const before = await replicaReads();

      const published = { pageSize: 10, pageToken: '', published: true, instructorId: '', orderBy: '' };
      await call(f.catalog.listCatalogItems, f.catalog, published, atLeast(f.student.metadata(), minLsnOf(metadata) ?? ''));

      expect(await replicaReads()).toBe(before + 1);
    } finally {
      await f.pair.standby.query('select pg_wal_replay_pause()');
    }
  });

  it('when a position is not a WAL position, then the read goes to the primary', async () => {
    const before = await replicaReads();
    const metadata = atLeast(f.student.metadata(), 'not-a-position');

    await call(
      f.catalog.listCatalogItems,
      f.catalog,
      { pageSize: 10, pageToken: '', published: true, instructorId: '', orderBy: '' },
      metadata,
    );

    expect(await replicaReads()).toBe(before);
  });
});
