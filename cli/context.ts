// What CLI commands share: configuration from NEARCAST_* variables (as every component),
// Kafka clients with quiet logs, a table printer, and a typed command error.
import type { Admin, Kafka } from 'kafkajs';
import { loadConfig, type Config } from '../pipeline/config.ts';
import { createKafka } from '../pipeline/kafka.ts';
import { createLogger } from '../pipeline/logger.ts';

/** A failure the user can act on: printed as one line, exit code 1. */
export class CliError extends Error {}

// Commands that sign nothing still go through the one config schema, which requires a token
// secret; an unset one is replaced by a value that can sign nothing anyone accepts.
const UNUSED_SECRET = 'nearcast-cli-does-not-sign-with-this-secret';

export function cliConfig(env: Record<string, string | undefined>, opts: { needsSecret?: boolean } = {}): Config {
  if (opts.needsSecret && !env['NEARCAST_TOKEN_SECRET'])
    throw new CliError('NEARCAST_TOKEN_SECRET is not set (or pass --token)');
  return loadConfig({ NEARCAST_TOKEN_SECRET: UNUSED_SECRET, NEARCAST_LOG_LEVEL: 'error', ...env });
}

export function cliKafka(config: Config): Kafka {
  return createKafka(config, createLogger('silent', 'nearcast-cli'), '-cli'); // failures surface as one CliError line
}

/** Runs `fn` with a connected admin client and always disconnects. */
export async function withAdmin<T>(config: Config, fn: (admin: Admin, kafka: Kafka) => Promise<T>): Promise<T> {
  const kafka = cliKafka(config);
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (err) {
    throw new CliError(`cannot reach Kafka at ${config.kafka.brokers.join(',')}: ${(err as Error).message}`);
  }
  try {
    return await fn(admin, kafka);
  } finally {
    await admin.disconnect();
  }
}

export function table(rows: Array<Record<string, string | number>>, out: (line: string) => void = console.log): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(width[i]!))
      .join('  ')
      .trimEnd();
  out(line(cols));
  for (const r of rows) out(line(cols.map((c) => String(r[c] ?? ''))));
}
