import { describe, expect, it } from 'vitest';
import { NearCache } from '../../src/cache/near-cache.js';

const TTL_MS = 60_000;

function filled(ids: readonly string[], maxEntries: number): NearCache<string> {
  const near = new NearCache<string>(TTL_MS, maxEntries);
  const now = Date.now();
  for (const id of ids) near.fill(id, `value of ${id}`, near.mark(), now);
  return near;
}

describe('near cache eviction', () => {
  it('when it is full, then an entry read since its fill outlives older unread ones', () => {
    const near = filled(['a', 'b', 'c'], 3);
    const now = Date.now();
    expect(near.read('a', now)).toBe('value of a');
    near.fill('d', 'value of d', near.mark(), now);
    expect(near.read('a', now)).toBe('value of a');
    expect(near.read('b', now)).toBeUndefined();
    expect(near.read('c', now)).toBe('value of c');
    expect(near.read('d', now)).toBe('value of d');
  });

  it('when every entry was read, then the oldest goes and the size stays bounded', () => {
    const near = filled(['a', 'b', 'c'], 3);
    const now = Date.now();
    for (const id of ['a', 'b', 'c']) near.read(id, now);
    near.fill('d', 'value of d', near.mark(), now);
    expect(near.read('a', now)).toBeUndefined();
    expect(['b', 'c', 'd'].map((id) => near.read(id, now))).toEqual(['value of b', 'value of c', 'value of d']);
    // A spared entry is spared once per read: unread again, it goes next.
    near.fill('e', 'value of e', near.mark(), now);
    near.fill('f', 'value of f', near.mark(), now);
    const kept = ['b', 'c', 'd', 'e', 'f'].filter((id) => near.read(id, now) !== undefined);
    expect(kept).toHaveLength(3);
  });
});
