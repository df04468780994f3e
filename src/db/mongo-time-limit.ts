import { timeLeftMs } from './request-scope.js';

/**
 * `{ maxTimeMS }` for a MongoDB operation run for the current request: the
 * server gives up when the caller would no longer wait. Empty when the caller
 * set no deadline (or outside a request).
 */
export function mongoTimeLimit(): { maxTimeMS?: number } {
  const left = timeLeftMs();
  return left === undefined ? {} : { maxTimeMS: Math.ceil(left) };
}
