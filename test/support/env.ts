// A config for one test: unique topic/key prefix so tests never see each
// other's data, and a random token secret. The env form is for child processes.
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../pipeline/config.ts';

export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NEARCAST_TOPIC_PREFIX: `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}.`,
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
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig(testEnv(overrides));
}
