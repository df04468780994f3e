import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { CatalogItem } from '../../generated/campus/catalog/v1/catalog.js';
import { type CatalogFixture, useCatalogFixture } from '../catalog/catalog-fixture.js';
import { rawClient } from '../support/databases.js';

let f: CatalogFixture;
let locker: pg.Client;

useCatalogFixture({}, async (fixture, scope) => {
  f = fixture;
  locker = await rawClient(f.server.config.databaseUrl ?? '');
  scope.onClose(() => locker.end());
});

async function handled(code: string): Promise<number> {
  const body = await (await fetch(`http://127.0.0.1:${f.server.app.metricsPort}/metrics`)).text();
  const line = body
    .split('\n')
    .find(
      (l) =>
        l.startsWith('grpc_server_handled_total{') && l.includes('grpc_method="UpdateCatalogItem"') && l.includes(`grpc_code="${code}"`),
    );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Renames `item` while another transaction holds its row lock; `cancelAfterMs` cancels it from the client. */
function renameWhileLocked(item: CatalogItem, options: { deadlineMs?: number; cancelAfterMs?: number }): Promise<ServiceError> {
  return new Promise((resolve, reject) => {
    const deadline = options.deadlineMs === undefined ? undefined : new Date(Date.now() + options.deadlineMs);
    const unary = f.client.updateCatalogItem(
      { catalogItem: { ...item, title: 'Renamed under a lock' }, updateMask: ['title'] },
      new Metadata(),
      deadline ? { deadline } : {},
      (err) => (err ? resolve(err) : reject(new Error('the update went through a held row lock'))),
    );
    if (options.cancelAfterMs !== undefined) setTimeout(() => unary.cancel(), options.cancelAfterMs);
  });
}

/** Waits until the server has recorded the end of the call (it does once its handler gives up). */
async function eventually(code: string, atLeast: number): Promise<number> {
  let n = await handled(code);
  for (let i = 0; i < 50 && n < atLeast; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    n = await handled(code);
  }
  return n;
}

describe('grpc_server_handled_total for calls that do not finish in time', () => {
  it('when a call waits on a row lock past its deadline, then it is counted as DeadlineExceeded, not Canceled', async () => {
    const item = await f.createItem();
    const before = { exceeded: await handled('DeadlineExceeded'), canceled: await handled('Canceled') };
    await locker.query('begin');
    try {
      await locker.query('select 1 from catalog_items where id = $1 for update', [item.id]);
      const err = await renameWhileLocked(item, { deadlineMs: 300 });
      expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    } finally {
      await locker.query('rollback');
    }
    expect(await eventually('DeadlineExceeded', before.exceeded + 1)).toBe(before.exceeded + 1);
    expect(await handled('Canceled')).toBe(before.canceled);
  });

  it('when the client cancels a call that waits on a row lock, then it is counted as Canceled', async () => {
    const item = await f.createItem();
    const before = { exceeded: await handled('DeadlineExceeded'), canceled: await handled('Canceled') };
    await locker.query('begin');
    try {
      await locker.query('select 1 from catalog_items where id = $1 for update', [item.id]);
      const err = await renameWhileLocked(item, { deadlineMs: 10_000, cancelAfterMs: 300 });
      expect(err.code).toBe(status.CANCELLED);
    } finally {
      await locker.query('rollback');
    }
    expect(await eventually('Canceled', before.canceled + 1)).toBe(before.canceled + 1);
    expect(await handled('DeadlineExceeded')).toBe(before.exceeded);
  });
});
