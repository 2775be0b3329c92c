import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { REDACT_PATHS } from '../../pipeline/logger.ts';

describe('logs', () => {
  it('redact coordinates, tokens and keys wherever they appear in a log object', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) });
    const log = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    log.info({ lat: 52.123456, lng: 4.654321, ping: { lat: 52.123456, lng: 4.654321 }, req: { headers: { authorization: 'Bearer eyJsecret' } }, token: 'fcm-secret-token', subscription: { keys: { auth: 'a' } } }, 'x');
    expect(lines.join('')).not.toMatch(/52\.12|4\.65|eyJsecret|fcm-secret-token/);
  });
});
