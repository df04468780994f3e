import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config.js';
import { variablesOf } from '../../src/config-schema.js';

const root = path.resolve(import.meta.dirname, '../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}
const sources = sourceFiles(path.join(root, 'src')).map((file) => ({ file, text: readFileSync(file, 'utf8') }));

/** The lines of the README section under `heading`, up to the next heading of the same or a higher level. */
function section(heading: string): string[] {
  const lines = readme.split('\n');
  const start = lines.indexOf(heading);
  expect(start, `README has "${heading}"`).toBeGreaterThanOrEqual(0);
  const level = heading.indexOf(' ');
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && l.indexOf(' ') <= level);
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** The first table of a section: its rows (header and separator excluded), and whether any line breaks it. */
function firstTable(lines: string[]): { rows: string[]; broken: boolean } {
  const first = lines.findIndex((l) => l.startsWith('|'));
  expect(first, 'a table').toBeGreaterThanOrEqual(0);
  let last = first;
  while (last + 1 < lines.length && lines[last + 1]?.startsWith('|')) last++;
  // Anything table-shaped after the first blank or prose line is a second table: the first one broke.
  const broken = lines.slice(last + 1).some((l) => l.startsWith('|'));
  return { rows: lines.slice(first + 2, last + 1), broken };
}

/**
 * Every env setting the service reads: the variables of the config schema, and any reader call with a
 * literal name in a file that uses the reader.
 */
function envKeys(): string[] {
  const keys = new Set(variablesOf(configSchema).map((v) => v.env));
  for (const { text } of sources.filter((s) => /\bEnvReader\b/.test(s.text))) {
    for (const m of text.matchAll(/\bread\.\w+\(\s*'([A-Z][A-Z0-9_]*)'/g)) keys.add(m[1] ?? '');
  }
  return [...keys].sort();
}

/** Every cache namespace the code declares: `cache.resource({ name })` and `cache.keyValue(name)`. */
function cacheNamespaces(): string[] {
  const names = new Set<string>();
  for (const { text } of sources) {
    for (const m of text.matchAll(/\.resource<[^>]*>\(\{\s*name: '([a-z_]+)'/g)) names.add(m[1] ?? '');
    for (const m of text.matchAll(/\.keyValue\(\s*'([a-z_]+)'/g)) names.add(m[1] ?? '');
  }
  return [...names].sort();
}

describe('README.md', () => {
  it('when the configuration table is read, then it is one unbroken table naming every setting the config reader reads', () => {
    const keys = envKeys();
    expect(keys.length).toBeGreaterThan(50);
    const table = firstTable(section('## Configuration'));
    expect(table.broken).toBe(false);
    const documented = new Set(
      table.rows.flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1])),
    );
    expect(keys.filter((key) => !documented.has(key))).toEqual([]);
    expect([...documented].filter((key) => key !== undefined && !keys.includes(key))).toEqual([]);
  });

  it('when the cache table is read, then it lists every cache namespace the code declares', () => {
    const namespaces = cacheNamespaces();
    expect(namespaces).toContain('catalog_item');
    const table = firstTable(section('## Cache'));
    expect(table.broken).toBe(false);
    const listed = new Set(table.rows.flatMap((row) => [...(row.split('|')[2] ?? '').matchAll(/`([a-z_]+):/g)].map((m) => m[1])));
    expect(namespaces.filter((name) => !listed.has(name))).toEqual([]);
  });

  it('when the examples are run in order, then a learner enrolls before writing in the forum', () => {
    const enroll = readme.indexOf('EnrollmentService/Enroll\n');
    const thread = readme.indexOf('ForumService/CreateThread');
    expect(enroll).toBeGreaterThan(0);
    expect(thread).toBeGreaterThan(enroll);
  });

  it('when it says which Node set-up needs, then that is what the dependencies declare', () => {
    const setUp = section('## Set up').join('\n');
    expect(setUp).not.toMatch(/Node 20 or newer/);
    expect(setUp).toContain('22.17');
    const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { engines?: { node?: string } }>;
    };
    expect(lock.packages['node_modules/@mikro-orm/core']?.engines?.node).toMatch(/22\.17/);
  });
});
