import type { Logger } from '../logger.js';

/**
 * Asks the CDN to drop cached copies of deleted assets' URLs. Correctness
 * never depends on it (a new file is a new key); it only shortens how long a
 * deleted file stays served from edge caches. Never throws.
 */
export interface PurgeHook {
  purge(urls: readonly string[]): Promise<void>;
}

/** The default: a log line per purge, for an edge that needs none (or is purged by other means). */
export function logPurgeHook(log: Logger): PurgeHook {
  return {
    purge: async (urls) => {
      log.info({ urls }, 'asset URLs to purge (no ASSET_PURGE_URL configured)');
    },
  };
}

/**
 * POSTs `{"urls": [...]}` to `endpoint` (a CDN's purge API behind a small
 * adapter, or nginx's cache purge location), within 5 s; a failure is logged.
 */
export function httpPurgeHook(endpoint: string, log: Logger): PurgeHook {
  return {
    purge: async (urls) => {
      try {
        const res = await fetch(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ urls }),
          signal: AbortSignal.timeout(5_000),
        });
        if (!res.ok) log.warn({ status: res.status, urls }, 'asset purge refused');
      } catch (err) {
        log.warn({ err, urls }, 'asset purge failed');
      }
    },
  };
}
