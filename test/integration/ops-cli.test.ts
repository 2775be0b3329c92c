// The `nearcast` CLI as an operator runs it (a child process through the package bin
// launcher), against the real local Kafka with a unique topic prefix.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../pipeline/runtime.ts';
import { loadConfig } from '../../pipeline/config.ts';
import { topicNames } from '../../pipeline/kafka.ts';
import { testEnv } from '../support/env.ts';

const BIN = fileURLToPath(new URL('../../cli/nearcast.js', import.meta.url));

function cli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile('node', [BIN, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('nearcast CLI', () => {
  const env = testEnv();
  let rt: Runtime;
  let topics: ReturnType<typeof topicNames>;

  beforeAll(async () => {
    rt = await createRuntime(loadConfig(env)); // creates the prefixed topics
    topics = topicNames(rt.config.topics.prefix);
    const messages = Array.from({ length: 10 }, (_, i) => ({
      key: 'user-1',
      value: Buffer.from(`m${i}`),
      headers: { n: String(i) },
    }));
    await rt.producer.send({ topic: topics.deadLetters, acks: -1, messages });
    // A group that committed 4 of the 10: lag 6.
    await rt.admin.setOffsets({
      groupId: `${rt.config.topics.prefix}ops-test`,
      topic: topics.deadLetters,
      partitions: [{ partition: 0, offset: '4' }],
    });
  });
  afterAll(() => rt?.close());

  it('prints help and exits 0; rejects bad usage with exit 1 and a hint', async () => {
    const help = await cli(['--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/replay[\s\S]*lag[\s\S]*tail-decisions/);
    const bad = await cli(['replay', '--topic', 'dead-letters', '--from', 'yesterday', '--to', '5'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--from must be an offset (digits) or an ISO 8601 time');
    const unknown = await cli(['frobnicate'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown command/);
  });

  it('lists the declared topics with partitions and message counts', async () => {
    const r = await cli(['topics', 'list'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`${topics.deadLetters.replace(/\./g, '\\.')}\\s+deadLetters\\s+1\\s+10`));
  });

  it('shows consumer lag per group and partition', async () => {
    const r = await cli(['lag'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ops-test\s+\S+dead-letters\s+0\s+4\s+10\s+6/);
    expect(r.stdout).toContain('total lag: 6');
  });

  it('replays an offset range with keys and headers, and reports a dry run without publishing', async () => {
    const dry = await cli(['replay', '--topic', 'dead-letters', '--from', '2', '--to', '4', '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('dry run: 3 messages');
    const r = await cli(['replay', '--topic', 'dead-letters', '--from', '2', '--to', '4'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('re-published 3 messages');
    const [p] = await rt.admin.fetchTopicOffsets(topics.deadLetters);
    expect(p!.high).toBe('13');
  });

  it('fails clearly when Kafka cannot be reached', async () => {
    const r = await cli(['lag'], { ...env, NEARCAST_KAFKA_BROKERS: '127.0.0.1:1' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^nearcast: cannot reach Kafka at 127\.0\.0\.1:1/);
  });
});
