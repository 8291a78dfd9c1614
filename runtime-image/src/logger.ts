import { pino, type Logger } from 'pino';

/** JSON logs on stdout; `redact` keeps credentials out even when a config object is logged. */
export function createLogger(level: string, name: string): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['password', '*.password', 'redis', '*.redis', 'url', '*.url'],
      censor: '[redacted]',
    },
  });
}
