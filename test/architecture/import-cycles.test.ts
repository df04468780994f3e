import { describe, expect, it } from 'vitest';
import { cyclesOf, importGraph } from './import-graph.js';

describe('imports in src/', () => {
  it('when the files of src/ are read, then no import cycle exists (type-only imports included)', () => {
    expect(cyclesOf(importGraph())).toEqual([]);
  });

  it('when two files import each other, then the check names them', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cyclesOf(graph)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});
