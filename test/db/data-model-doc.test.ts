import { readFile } from 'node:fs/promises';
import { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_MODEL_DOC, renderDataModel } from '../../src/db/data-model-doc.js';
import { postgresOptions } from '../../src/db/postgres.js';

let orm: MikroORM;
let doc: string;

beforeAll(() => {
  // Metadata only: this ORM never connects.
  orm = new MikroORM(
    postgresOptions({ url: 'postgresql://127.0.0.1/unused', statementTimeoutMs: 1 }, () => {
      throw new Error('not connected');
    }),
  );
  doc = renderDataModel(orm.getMetadata());
});
afterAll(async () => {
  await orm?.close();
});

describe('docs/data-model.md', () => {
  it('when the entities are rendered, then the committed document is current', async () => {
    expect(await readFile(DATA_MODEL_DOC, 'utf8')).toBe(doc);
  });

  it('when a table is drawn, then its columns carry their types and PK, FK and UK markers', () => {
    expect(doc).toContain('  users {\n    uuid id PK\n');
    expect(doc).toContain('    text email_key UK\n');
    expect(doc).toContain('    uuid user_id PK, FK, UK "references users.id on delete restrict; unique with catalog_item_id"\n');
    expect(doc).toContain('    varchar(3) currency\n');
  });

  it('when a column references another table, then a many-to-one line says whether it is optional', () => {
    expect(doc).toContain('  enrollments }o..|| users : "user_id"\n');
    expect(doc).toContain('  catalog_items }o..o| users : "instructor_id"\n');
  });

  it('when rendered twice from metadata listed in another order, then the bytes are the same', () => {
    expect(renderDataModel([...orm.getMetadata()].reverse())).toBe(doc);
  });
});
