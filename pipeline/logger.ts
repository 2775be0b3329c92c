// JSON logs via pino. Coordinates, tokens and secrets are redacted by path so a
// careless log call cannot leak personal data.
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'lat',
  'lng',
  '*.lat',
  '*.lng',
  '*.*.lat',
  '*.*.lng',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'subscription',
  '*.subscription',
  'keys',
  '*.keys',
  'secret',
  '*.secret',
  '*.privateKey',
];

export function createLogger(level: string, name = 'nearcast'): Logger {
  return pino({ name, level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { pid: process.pid } });
}
