import { describe, expect, it } from 'vitest';
import { isTransientBrokerAnswer } from '../../pipeline/kafka.ts';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { REDACT_PATHS } from '../../pipeline/logger.ts';

describe('logs', () => {
  it('redact coordinates, tokens and keys wherever they appear in a log object', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) });
    const log = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    log.info(
      {
        lat: 52.123456,
        lng: 4.654321,
        ping: { lat: 52.123456, lng: 4.654321 },
        req: { headers: { authorization: 'Bearer eyJsecret' } },
        token: 'fcm-secret-token',
        subscription: { keys: { auth: 'a' } },
      },
      'x',
    );
    expect(lines.join('')).not.toMatch(/52\.12|4\.65|eyJsecret|fcm-secret-token/);
  });
});

describe('kafkajs log entries', () => {
  it('keeps the broker answers kafkajs retries by itself out of the error log, and nothing else', () => {
    expect(
      isTransientBrokerAnswer(
        'Response InitProducerId(key: 22, version: 1)',
        "The coordinator is loading and hence can't process requests for this group",
      ),
    ).toBe(true);
    expect(
      isTransientBrokerAnswer(
        'Response GroupCoordinator(key: 10, version: 2)',
        'The group coordinator is not available',
      ),
    ).toBe(true);
    expect(
      isTransientBrokerAnswer('Response Produce(key: 0, version: 7)', 'This server does not host this topic-partition'),
    ).toBe(true);
    expect(
      isTransientBrokerAnswer(
        'Response Produce(key: 0, version: 7)',
        'The request included a message larger than the max message size the server will accept',
      ),
    ).toBe(false);
    expect(
      isTransientBrokerAnswer('Crash: KafkaJSNumberOfRetriesExceeded', 'The group coordinator is not available'),
    ).toBe(false);
  });
});
