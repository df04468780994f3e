import { type Logger, pino } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

/** Structured JSON logs on stdout; secrets never reach a log call. */
export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: { service: 'campus-data' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: ['password', '*.password', 'req.password'], remove: true },
  });
}
