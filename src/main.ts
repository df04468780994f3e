/**
 * Process entry point: read the config, start the service, stop it gracefully
 * on SIGTERM or SIGINT, within SHUTDOWN_GRACE_MS and a fixed margin.
 */
import { SHUTDOWN_MARGIN_MS, startApp } from './app.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { DataDirInUseError } from './db/data-dir-lock.js';
import { SnapshotUnreadableError } from './db/mongo-snapshot.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`config error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const app = await startApp(config);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    // Whatever a store does (a stalled connection answers nothing), the process is gone by then.
    const limitMs = config.shutdownGraceMs + SHUTDOWN_MARGIN_MS;
    setTimeout(() => {
      app.log.error({ limitMs }, 'shutdown not finished in time: exiting');
      process.exit(1);
    }, limitMs).unref();
    app.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  if (err instanceof DataDirInUseError || err instanceof SnapshotUnreadableError) {
    // DATA_DIR is another instance's, or holds data this start cannot read: one line, nothing touched.
    process.stderr.write(`campus-data not started: ${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`campus-data failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
