import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedMongo } from '../../src/db/embedded-mongo.js';
import type { EmbeddedStore } from '../../src/db/embedded-postgres.js';

describe('embedded MongoDB stand-in', () => {
  let store: EmbeddedStore;

  beforeAll(async () => {
    store = await startEmbeddedMongo();
  });
  afterAll(async () => {
    await store?.stop();
  });

  it('when a driver monitors it with default options, then every heartbeat succeeds and the pool is never cleared', async () => {
    // Default monitoring: the driver streams heartbeats from a server that advertises them.
    const client = new MongoClient(store.url, { heartbeatFrequencyMS: 500 });
    const failed: string[] = [];
    let succeeded = 0;
    let cleared = 0;
    client.on('serverHeartbeatFailed', (event) => failed.push(event.failure.message));
    client.on('serverHeartbeatSucceeded', () => succeeded++);
    client.on('connectionPoolCleared', () => cleared++);
    try {
      await client.connect();
      await client.db('monitoring').collection('probe').insertOne({ at: new Date() });
      // Several heartbeat periods.
      await new Promise((resolve) => setTimeout(resolve, 1_600));
      await client.db('monitoring').collection('probe').insertOne({ at: new Date() });
    } finally {
      await client.close();
    }

    expect(failed).toEqual([]);
    expect(cleared).toBe(0);
    expect(succeeded).toBeGreaterThanOrEqual(3);
  });
});
