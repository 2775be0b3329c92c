// A config for one test: unique topic/key prefix so tests never see each
// other's data, and a random token secret. The env form is for child processes.
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../pipeline/config.ts';

/**
 * Every topic/key prefix and database this test file was handed: test/support/cleanup.ts
 * (a vitest setup file) removes what was made under them once the file's tests are done.
 */
export const issued = { prefixes: new Set<string>(), databases: new Set<string>() };

/**
 * What every prefix (and test database name) starts with: `t`, or NEARCAST_TEST_PREFIX_ROOT
 * (lower-case letters and digits), with which test/integration/test-cleanup.test.ts finds one run's leftovers.
 */
export const prefixRoot = (process.env['NEARCAST_TEST_PREFIX_ROOT'] ?? 't').replace(/[^a-z0-9]/g, '') || 't';

export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    NEARCAST_TOPIC_PREFIX: `${prefixRoot}${Date.now().toString(36)}${randomBytes(3).toString('hex')}.`,
    NEARCAST_TOPIC_PARTITIONS: '3',
    NEARCAST_TOKEN_SECRET: randomBytes(32).toString('hex'),
    NEARCAST_LOG_LEVEL: process.env['NEARCAST_TEST_LOG_LEVEL'] ?? 'silent',
    NEARCAST_GATEWAY_PORT: '0',
    // Many gateways and their tests share one busy process: event-loop shedding would refuse
    // their requests at random. test/integration/gateway.test.ts turns it on where it is tested.
    NEARCAST_GATEWAY_MAX_LOOP_DELAY_MS: '0',
    NEARCAST_GATEWAY_MAX_LOOP_UTILIZATION: '0',
    ...overrides,
  };
  issued.prefixes.add(env['NEARCAST_TOPIC_PREFIX']!);
  if (env['NEARCAST_DATABASE_URL']?.includes('/nearcast_test_')) issued.databases.add(env['NEARCAST_DATABASE_URL']);
  return env;
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig(testEnv(overrides));
}
