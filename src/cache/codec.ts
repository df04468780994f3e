/** Turns a cached value into a string and back; hit and miss return what `decode` gives. */
export interface Codec<V> {
  encode(value: V): string;
  decode(raw: string): V;
}

/**
 * JSON, with the named top-level fields revived as `Date` (JSON has no dates);
 * for an array value, the fields of each element. Use it for plain data
 * objects, not ORM entities with lazy references.
 */
export function jsonCodec<V>(dateFields: readonly string[] = []): Codec<V> {
  if (dateFields.length === 0) {
    return { encode: (value) => JSON.stringify(value), decode: (raw) => JSON.parse(raw) as V };
  }
  return {
    encode: (value) => JSON.stringify(value),
    decode: (raw) => {
      const parsed = JSON.parse(raw) as unknown;
      const revive = (item: unknown) => {
        if (typeof item !== 'object' || item === null) return;
        const record = item as Record<string, unknown>;
        for (const field of dateFields) {
          const v = record[field];
          if (typeof v === 'string') record[field] = new Date(v);
        }
      };
      if (Array.isArray(parsed)) parsed.forEach(revive);
      else revive(parsed);
      return parsed as V;
    },
  };
}
