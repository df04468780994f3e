import { beforeStoreUse, timeLeftMs } from './request-scope.js';

/**
 * `{ maxTimeMS }` for a MongoDB operation run for the current request: the
 * server gives up when the caller would no longer wait. Empty when the caller
 * set no deadline (or outside a request). Every operation of a request asks
 * for it, so it is also where the request is checked before it uses MongoDB
 * (see `beforeStoreUse`); that throws to refuse.
 */
export function mongoTimeLimit(): { maxTimeMS?: number } {
  beforeStoreUse();
  const left = timeLeftMs();
  return left === undefined ? {} : { maxTimeMS: Math.ceil(left) };
}
