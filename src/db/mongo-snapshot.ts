import { open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { IStorageAdapter, plugins } from '@push.rocks/smartmongo/dist_ts/congodb/index.js';

/** The stand-in's own `bson` (its documents are that copy's types, not the driver's). */
type Bson = typeof plugins.bson;

const FORMAT = 'campus-data embedded MongoDB snapshot';
const VERSION = 1;

interface SnapshotFile {
  readonly format: string;
  readonly version: number;
  readonly writtenAt: Date;
  readonly databases: readonly {
    readonly name: string;
    readonly collections: readonly {
      readonly name: string;
      readonly indexes: readonly Record<string, unknown>[];
      readonly documents: readonly Record<string, unknown>[];
    }[];
  }[];
}

/** A snapshot that exists but cannot be restored; starting empty would overwrite it. */
export class SnapshotUnreadableError extends Error {
  override readonly name = 'SnapshotUnreadableError';
}

/**
 * Every database, collection, index and document of the stand-in, as
 * canonical Extended JSON (relaxed: false, so ObjectId, Date, Long, Decimal128,
 * Int32 and Double keep their types), written to a temporary file, flushed,
 * then renamed over `file`: a crash leaves the previous snapshot or the new
 * one, never a torn file. Returns how many documents it holds.
 */
export async function writeSnapshot(storage: IStorageAdapter, bson: Bson, file: string): Promise<number> {
  const databases: SnapshotFile['databases'][number][] = [];
  let documents = 0;
  for (const name of await storage.listDatabases()) {
    const collections: SnapshotFile['databases'][number]['collections'][number][] = [];
    for (const collection of await storage.listCollections(name)) {
      const docs = await storage.findAll(name, collection);
      documents += docs.length;
      collections.push({ name: collection, indexes: await storage.getIndexes(name, collection), documents: docs });
    }
    databases.push({ name, collections });
  }
  const snapshot: SnapshotFile = { format: FORMAT, version: VERSION, writtenAt: new Date(), databases };
  const text = bson.EJSON.stringify(snapshot, { relaxed: false });
  const draft = `${file}.${process.pid}.tmp`;
  const handle = await open(draft, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(draft, file);
  } catch (err) {
    await unlink(draft).catch(() => undefined);
    throw err;
  }
  await syncDirectory(path.dirname(file));
  return documents;
}

/**
 * Loads `file` into the (empty) stand-in. No file: nothing to restore (0).
 * Returns how many documents it restored.
 */
export async function restoreSnapshot(storage: IStorageAdapter, bson: Bson, file: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let snapshot: SnapshotFile;
  try {
    snapshot = bson.EJSON.parse(text, { relaxed: false }) as SnapshotFile;
    // Canonical Extended JSON parses numbers as Int32/Double wrappers.
    if (snapshot.format !== FORMAT || Number(snapshot.version) !== VERSION) throw new Error(`not a version ${VERSION} snapshot`);
  } catch (err) {
    throw new SnapshotUnreadableError(
      `embedded MongoDB snapshot ${file} cannot be read (${err instanceof Error ? err.message : String(err)}): repair or move it away to start empty`,
      { cause: err },
    );
  }
  let documents = 0;
  for (const database of snapshot.databases) {
    for (const collection of database.collections) {
      await storage.createCollection(database.name, collection.name);
      for (const index of collection.indexes) {
        const { name, ...spec } = asSent(bson, index);
        await storage.saveIndex(database.name, collection.name, String(name), spec as Parameters<IStorageAdapter['saveIndex']>[3]);
      }
      for (const doc of collection.documents) {
        await storage.insertOne(database.name, collection.name, asSent(bson, doc));
        documents++;
      }
    }
  }
  return documents;
}

/** `doc` as the stand-in holds it when a client sends it: through BSON and back (Int32 and Double wrappers become numbers). */
function asSent(bson: Bson, doc: Record<string, unknown>): Record<string, unknown> {
  return bson.deserialize(bson.serialize(doc));
}

/** Makes the rename durable; not every platform can open a directory, which then only loses that guarantee. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}
