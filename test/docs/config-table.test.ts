import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config.js';
import { CONFIG_BEGIN, CONFIG_DOC, CONFIG_END, configTable, withConfigTable } from '../../src/config-doc.js';
import { variablesOf } from '../../src/config-schema.js';

const readme = readFileSync(path.resolve(import.meta.dirname, '../..', CONFIG_DOC), 'utf8');

describe('the configuration table', () => {
  it('when the README is read, then its table is the one the schema generates (else run npm run docs:config)', () => {
    const begin = readme.indexOf(CONFIG_BEGIN);
    const end = readme.indexOf(CONFIG_END);
    expect(begin).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(begin);
    expect(readme.slice(begin + CONFIG_BEGIN.length + 1, end)).toBe(configTable());
    expect(withConfigTable(readme)).toBe(readme);
  });

  it('when the schema is read, then each variable is declared once and has a default and a meaning', () => {
    const variables = variablesOf(configSchema);
    const names = variables.map((v) => v.env);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
    expect(variables.filter((v) => v.shown.trim() === '').map((v) => v.env)).toEqual([]);
    expect(variables[0]?.doc).not.toBe('');
  });
});
