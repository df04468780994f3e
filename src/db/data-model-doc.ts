import { type EntityMetadata, type EntityProperty, ReferenceKind } from '@mikro-orm/core';

/** Where `npm run docs:er` writes the document, relative to the repository root. */
export const DATA_MODEL_DOC = 'docs/data-model.md';

const HEADER = `# Data model (PostgreSQL)

This file is generated from the MikroORM entity metadata (\`src/**/*.entity.ts\`)
by \`npm run docs:er\` (scripts/er-diagram.ts); do not edit it by hand. After
changing an entity, run \`npm run docs:er\` and commit the result: CI
regenerates this file and fails when it differs from the committed one.
MongoDB collections (forum, analytics) are not part of it.

Keys: PK primary key, FK foreign key, UK unique (alone, or together with the
columns the comment names). Every relationship is many-to-one, drawn from the
referencing table (\`}o\`, zero or more rows) to the referenced one (\`||\`
exactly one, \`o|\` zero or one when the column is nullable); lines are dotted
because every table has a key of its own (non-identifying).
`;

/**
 * The data-model document: a Mermaid `erDiagram` of every table with its
 * columns, types and keys, its many-to-one relationships, and a list of the
 * unique constraints, indexes and checks. Tables, relationships and
 * constraints are sorted and columns keep their declaration order, so the
 * same entities always give the same bytes.
 */
export function renderDataModel(metadata: Iterable<EntityMetadata>): string {
  const tables = [...metadata].filter((meta) => !meta.embeddable && !meta.virtual).sort((a, b) => compare(a.tableName, b.tableName));
  const lines = [HEADER, '```mermaid', 'erDiagram'];
  for (const meta of tables) {
    lines.push(`  ${meta.tableName} {`);
    for (const column of columnsOf(meta)) {
      const keys = column.keys.length > 0 ? ` ${column.keys.join(', ')}` : '';
      const comment = column.notes.length > 0 ? ` "${column.notes.join('; ').replaceAll('"', "'")}"` : '';
      lines.push(`    ${column.type} ${column.name}${keys}${comment}`);
    }
    lines.push('  }');
  }
  for (const rel of relationshipsOf(tables)) {
    lines.push(`  ${rel.from} }o..${rel.nullable ? 'o|' : '||'} ${rel.to} : "${rel.columns.join(', ')}"`);
  }
  lines.push(
    '```',
    '',
    '## Unique constraints, indexes and checks',
    '',
    '| table | name | kind | definition |',
    '| --- | --- | --- | --- |',
  );
  for (const meta of tables) {
    for (const c of constraintsOf(meta))
      lines.push(`| ${meta.tableName} | ${c.name} | ${c.kind} | ${c.definition.replaceAll('|', '\\|')} |`);
  }
  return `${lines.join('\n')}\n`;
}

interface Column {
  readonly name: string;
  readonly type: string;
  readonly keys: string[];
  readonly notes: string[];
}

/** Properties stored in this table's own columns (inverse sides and collections are not). */
function ownColumns(meta: EntityMetadata): EntityProperty[] {
  return meta.props.filter(
    (prop) =>
      prop.persist !== false &&
      (prop.kind === ReferenceKind.SCALAR ||
        prop.kind === ReferenceKind.MANY_TO_ONE ||
        (prop.kind === ReferenceKind.ONE_TO_ONE && prop.owner)),
  );
}

function columnsOf(meta: EntityMetadata): Column[] {
  const composites = compositeUniques(meta);
  return ownColumns(meta).flatMap((prop) =>
    prop.fieldNames.map((name, i) => {
      const keys: string[] = [];
      const notes: string[] = [];
      if (prop.primary) keys.push('PK');
      if (prop.targetMeta && prop.kind !== ReferenceKind.SCALAR) {
        keys.push('FK');
        const target = prop.referencedColumnNames?.[i] ?? prop.targetMeta.primaryKeys[i] ?? '';
        notes.push(`references ${prop.targetMeta.tableName}.${target}${prop.deleteRule ? ` on delete ${prop.deleteRule}` : ''}`);
      }
      const together = composites.get(name);
      if (prop.unique || together) keys.push('UK');
      if (together) notes.push(`unique with ${together.filter((c) => c !== name).join(', ')}`);
      if (prop.nullable) notes.push('nullable');
      if (prop.enum && prop.items?.length) notes.push(`one of ${prop.items.join(', ')}`);
      if (prop.version) notes.push('row version (etag)');
      if (prop.generated) notes.push('generated');
      return { name, type: (prop.columnTypes[i] ?? 'unknown').replaceAll(' ', '_'), keys, notes };
    }),
  );
}

/** Column -> all columns of the multi-column unique constraint it belongs to. */
function compositeUniques(meta: EntityMetadata): Map<string, string[]> {
  const byColumn = new Map<string, string[]>();
  for (const unique of meta.uniques) {
    const columns = columnNames(meta, unique.properties);
    if (columns.length > 1) for (const column of columns) byColumn.set(column, columns);
  }
  return byColumn;
}

function columnNames(meta: EntityMetadata, properties: unknown): string[] {
  const names = properties === undefined ? [] : Array.isArray(properties) ? properties : [properties];
  return names.flatMap((name) => meta.properties[String(name) as keyof typeof meta.properties]?.fieldNames ?? [String(name)]);
}

interface Relationship {
  readonly from: string;
  readonly to: string;
  readonly columns: string[];
  readonly nullable: boolean;
}

function relationshipsOf(tables: EntityMetadata[]): Relationship[] {
  return tables
    .flatMap((meta) =>
      ownColumns(meta)
        .filter((prop) => prop.kind !== ReferenceKind.SCALAR && prop.targetMeta)
        .map((prop) => ({
          from: meta.tableName,
          to: prop.targetMeta?.tableName ?? '',
          columns: prop.fieldNames,
          nullable: prop.nullable === true,
        })),
    )
    .sort((a, b) => compare(a.from, b.from) || compare(a.columns.join(), b.columns.join()));
}

interface Constraint {
  readonly name: string;
  readonly kind: string;
  readonly definition: string;
}

function constraintsOf(meta: EntityMetadata): Constraint[] {
  const out: Constraint[] = [];
  for (const prop of ownColumns(meta)) {
    if (prop.unique)
      out.push({
        name: nameOf(prop.unique, `${meta.tableName}_${prop.fieldNames.join('_')}_unique`),
        kind: 'unique',
        definition: `(${prop.fieldNames.join(', ')})`,
      });
    if (prop.index)
      out.push({
        name: nameOf(prop.index, `${meta.tableName}_${prop.fieldNames.join('_')}_index`),
        kind: 'index',
        definition: `(${prop.fieldNames.join(', ')})`,
      });
  }
  for (const unique of meta.uniques) {
    const deferred = unique.deferMode ? `, deferrable initially ${unique.deferMode}` : '';
    out.push({ name: unique.name ?? '', kind: 'unique', definition: `(${columnNames(meta, unique.properties).join(', ')})${deferred}` });
  }
  for (const index of meta.indexes) {
    const definition = index.expression ? String(index.expression) : `(${columnNames(meta, index.properties).join(', ')})`;
    out.push({ name: index.name ?? '', kind: index.type === 'fulltext' ? 'full-text index' : 'index', definition });
  }
  for (const check of meta.checks) {
    out.push({ name: check.name ?? '', kind: 'check', definition: typeof check.expression === 'string' ? check.expression : '(computed)' });
  }
  return out.sort((a, b) => compare(a.name, b.name));
}

function nameOf(value: boolean | string, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

/** Code-point order, independent of the machine's locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
