/**
 * A stored value that cannot be opened: tampered with, moved to another
 * column, sealed under a key that is no longer configured, or not sealed at
 * all. The message names the column and key id only, never the value, so it
 * is safe in logs; callers see INTERNAL (it is an unknown error to the status
 * mapping), never a guess at the plaintext.
 */
export class SealedValueError extends Error {
  override readonly name = 'SealedValueError';
}
