/**
 * A PostgreSQL WAL position (`pg_lsn`, text form `16/B374D848`) as a number
 * that compares the way the server's positions do. Undefined for anything
 * that is not a position.
 */
export function parseLsn(text: string | undefined): bigint | undefined {
  const match = text === undefined ? null : /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (match === null) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** The text form of a position, as the server writes it. */
export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}
