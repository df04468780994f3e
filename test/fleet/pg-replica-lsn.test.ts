import { describe, expect, it } from 'vitest';
import { formatLsn, parseLsn } from '../../src/db/replicas/lsn.js';

describe('WAL positions', () => {
  it('when positions are parsed, then they compare as the server orders them', () => {
    const [a, b, c] = ['0/3000060', '0/FFFFFFFF', '1/0'].map(parseLsn) as [bigint, bigint, bigint];
    expect(a < b && b < c).toBe(true);
    expect(formatLsn(b)).toBe('0/FFFFFFFF');
    expect(formatLsn(parseLsn('16/b374d848') as bigint)).toBe('16/B374D848');
  });

  it('when the text is not a position, then there is none', () => {
    for (const text of [undefined, '', '0', '0/', '/1', 'x/1', '123456789/0', '0/1 ', 'not-a-position']) {
      expect(parseLsn(text)).toBeUndefined();
    }
  });
});
