// Configuration is read from the environment once, at start-up, validated, and
// passed down. Nothing else in the codebase reads process.env.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { NearcastError } from './errors.ts';
import { DEFAULT_PUSH_HOSTS, parseHostRule, type HostRule } from './push-targets.ts';

const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);
const int = (def: number) => z.coerce.number().int().default(def);
const num = (def: number) => z.coerce.number().default(def);
const bool = (def: boolean) =>
  z
    .enum(['true', 'false'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true');
/** Comma-separated push-service hosts: `host`, `*.suffix`, optionally `:port` (443 otherwise). */
const hostRules = csv.transform((entries, ctx) => {
  const rules: HostRule[] = [];
  for (const entry of entries) {
    const r = parseHostRule(entry);
    if (typeof r === 'string') ctx.addIssue({ code: z.ZodIssueCode.custom, message: r });
    else rules.push(r);
  }
  return rules;
});

const envSchema = z.object({
  NEARCAST_KAFKA_BROKERS: csv.default('127.0.0.1:9092'),
  NEARCAST_KAFKA_CLIENT_ID: z.string().default('nearcast'),
  NEARCAST_SCHEMA_REGISTRY_URL: z.string().url().default('http://127.0.0.1:8081/apis/ccompat/v7'),
  NEARCAST_REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  NEARCAST_DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/nearcast'),
  /** Prefix for every topic and consumer group: lets tests and tenants share one cluster. */
  NEARCAST_TOPIC_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9._-]*$/)
    .default(''),
  NEARCAST_TOPIC_PARTITIONS: int(6).pipe(z.number().min(1).max(1000)),
  NEARCAST_LOCATION_RETENTION_HOURS: num(24).pipe(
    z
      .number()
      .positive()
      .max(24 * 30),
  ),
  NEARCAST_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  NEARCAST_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters'),
  /** Verified tokens a gateway remembers (about 300 B each); 0 verifies every request. */
  NEARCAST_TOKEN_CACHE_SIZE: int(100_000).pipe(z.number().min(0)),
  NEARCAST_GATEWAY_HOST: z.string().default('127.0.0.1'),
  NEARCAST_GATEWAY_PORT: int(8080).pipe(z.number().min(0).max(65535)),
  NEARCAST_MAX_PINGS_PER_REQUEST: int(100).pipe(z.number().min(1).max(10_000)),
  NEARCAST_MAX_BODY_BYTES: int(64 * 1024).pipe(z.number().min(1024)),
  NEARCAST_PUBLISH_TIMEOUT_MS: int(5000).pipe(z.number().min(100)),
  /** Pings stamped further ahead than this (device clock skew) are rejected. */
  NEARCAST_MAX_CLOCK_SKEW_SECONDS: int(120).pipe(z.number().min(0)),
  /** Load shedding: above this many pings not yet acknowledged by Kafka, POST /v1/locations answers 503 (about a second of batched ingest on a 2-core machine); 0 disables. */
  NEARCAST_GATEWAY_MAX_PENDING_PINGS: int(10_000).pipe(z.number().min(0)),
  /** Load shedding: when the oldest ping not yet acknowledged by Kafka waited longer than this, answer 503; 0 disables. */
  NEARCAST_GATEWAY_MAX_PENDING_MS: int(2000).pipe(z.number().min(0)),
  /** Load shedding: while the event loop's worst delay over the last second exceeds this, answer 503; 0 disables. */
  NEARCAST_GATEWAY_MAX_LOOP_DELAY_MS: int(300).pipe(z.number().min(0)),
  /** Load shedding: while the event loop is busy at least this share of the last half second, answer 503; 0 (the default) disables: measured here, it refused more than it saved (docs/operations.md). */
  NEARCAST_GATEWAY_MAX_LOOP_UTILIZATION: num(0).pipe(z.number().min(0).max(1)),

  /** Requests per minute per authenticated device and per client address, shared across gateway instances; 0 disables. */
  NEARCAST_RATE_LIMIT_DEVICE_PER_MINUTE: int(120).pipe(z.number().min(0)),
  NEARCAST_RATE_LIMIT_ADDRESS_PER_MINUTE: int(6000).pipe(z.number().min(0)),
  /** Behind a load balancer: take the client address from X-Forwarded-For. */
  NEARCAST_TRUST_PROXY: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** HTTP servers (gateway, dashboard, health): a request must arrive whole within this, headers within the next. */
  NEARCAST_HTTP_REQUEST_TIMEOUT_MS: int(10_000).pipe(z.number().min(100).max(600_000)),
  NEARCAST_HTTP_HEADERS_TIMEOUT_MS: int(5000).pipe(z.number().min(100).max(600_000)),
  /** An idle keep-alive connection is closed after this (above a load balancer's idle timeout). */
  NEARCAST_HTTP_KEEP_ALIVE_TIMEOUT_MS: int(72_000).pipe(z.number().min(100).max(600_000)),
  /** A connection with no traffic either way for this long is closed. */
  NEARCAST_HTTP_IDLE_TIMEOUT_MS: int(30_000).pipe(z.number().min(100).max(3_600_000)),
  /** /readyz reuses one answer for this long, and concurrent probes share one check in flight. */
  NEARCAST_READY_CACHE_MS: int(1000).pipe(z.number().min(0).max(60_000)),

  NEARCAST_PING_TTL_SECONDS: num(30).pipe(z.number().positive()),
  NEARCAST_PUSH_TTL_SECONDS: int(300).pipe(z.number().min(1)),
  NEARCAST_EXIT_GRACE_SECONDS: num(90).pipe(z.number().min(0)),
  NEARCAST_COOLDOWN_HOURS: num(24).pipe(z.number().min(0)),
  NEARCAST_MAX_PUSHES_PER_DAY: int(5).pipe(z.number().min(0)),
  NEARCAST_MAX_PUSHES_PER_PING: int(1).pipe(z.number().min(1).max(10)),
  NEARCAST_MAX_ACCURACY_M: num(250).pipe(z.number().positive()),
  /** How long a matcher trusts its local copy of a user's preferences (consent changes take effect within this). */
  NEARCAST_PREFS_CACHE_MS: int(2000).pipe(z.number().min(0).max(60_000)),

  NEARCAST_VAPID_PUBLIC_KEY: z.string().optional(),
  NEARCAST_VAPID_PRIVATE_KEY: z.string().optional(),
  NEARCAST_VAPID_SUBJECT: z.string().default('mailto:ops@nearcast.invalid'),
  /** Extra CA certificate (PEM file) trusted for push endpoints: local push services in tests and demos. */
  NEARCAST_PUSH_CA_FILE: z.string().optional(),
  /** Service account JSON for FCM (HTTP v1); unset disables FCM delivery. */
  NEARCAST_FCM_SERVICE_ACCOUNT_FILE: z.string().optional(),
  /** host:port that all Google (FCM, OAuth) traffic is sent to: a local stand-in for tests and demos. */
  NEARCAST_FCM_CONNECT_TO: z
    .string()
    .regex(/^[\w.-]+:\d+$/, 'must be host:port')
    .optional(),
  NEARCAST_PUSH_CONCURRENCY: int(64).pipe(z.number().min(1).max(1024)),
  /** Web Push endpoints are accepted and sent to only on these hosts (the browsers' push services by default). */
  NEARCAST_PUSH_ALLOWED_HOSTS: hostRules.default(DEFAULT_PUSH_HOSTS.join(',')),
  /** Lets Web Push connect to loopback and private addresses: local stand-ins in tests, demo and benchmarks only. */
  NEARCAST_PUSH_ALLOW_PRIVATE_ADDRESSES: bool(false),
  /** Registrations kept per user; one more evicts the oldest. */
  NEARCAST_PUSH_MAX_REGISTRATIONS_PER_USER: int(10).pipe(z.number().min(1).max(1000)),

  /** Snowflake worker id of this process (0–1023): give every gateway instance its own. */
  NEARCAST_WORKER_ID: int(0).pipe(z.number().min(0).max(1023)),
  NEARCAST_DB_POOL_SIZE: int(10).pipe(z.number().min(1).max(200)),
  /** Claims per user per minute before 429 (shared across gateway instances through Redis). */
  NEARCAST_CLAIM_RATE_PER_MINUTE: int(30).pipe(z.number().min(1)),
  /** Claim units are generated this many at a time, as claims need them (at least a claim batch's worth). */
  NEARCAST_CLAIM_UNIT_CHUNK: int(1000).pipe(z.number().min(1).max(1_000_000)),
  /** A partner's offers that have not ended: at most this many, */
  NEARCAST_PARTNER_MAX_OFFERS: int(100).pipe(z.number().min(1)),
  /** and at most this many units (sum of caps.maxTotal) over them. */
  NEARCAST_PARTNER_MAX_UNITS: int(10_000_000).pipe(z.number().min(1)),
  NEARCAST_OUTBOX_POLL_MS: int(500).pipe(z.number().min(10).max(60_000)),
  /** How often users' learnt interests are recomputed from their new claims and redemptions. */
  NEARCAST_LEARN_INTERESTS_MS: int(10_000).pipe(z.number().min(100).max(3_600_000)),
  NEARCAST_EXPIRY_SWEEP_MS: int(1000).pipe(z.number().min(10).max(600_000)),

  /** Processes without an HTTP API (matcher, dispatcher) serve /healthz, /readyz, /metrics here when set. */
  NEARCAST_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  NEARCAST_HEALTH_HOST: z.string().default('127.0.0.1'),
  /** A stop that takes longer exits non-zero; keep below the pod's terminationGracePeriodSeconds. */
  NEARCAST_SHUTDOWN_TIMEOUT_SECONDS: num(25).pipe(z.number().positive().max(3600)),
  NEARCAST_DASHBOARD_HOST: z.string().default('127.0.0.1'),
  NEARCAST_DASHBOARD_PORT: int(8090).pipe(z.number().min(0).max(65535)),
  /** H3 resolution of the density map: coarse on purpose (8 ≈ 0.7 km² per cell). */
  NEARCAST_DASHBOARD_H3_RESOLUTION: int(8).pipe(z.number().min(4).max(9)),
  NEARCAST_DASHBOARD_WINDOW_SECONDS: int(60).pipe(z.number().min(5).max(3600)),
  /** A cell is shown only when at least this many distinct users pinged in it within the window. */
  NEARCAST_DASHBOARD_MIN_USERS: int(3).pipe(z.number().min(1)),
});

export type Config = ReturnType<typeof toConfig>;

function toConfig(e: z.infer<typeof envSchema>) {
  return {
    logLevel: e.NEARCAST_LOG_LEVEL,
    kafka: { brokers: e.NEARCAST_KAFKA_BROKERS, clientId: e.NEARCAST_KAFKA_CLIENT_ID },
    registryUrl: e.NEARCAST_SCHEMA_REGISTRY_URL,
    redisUrl: e.NEARCAST_REDIS_URL,
    databaseUrl: e.NEARCAST_DATABASE_URL,
    topics: {
      prefix: e.NEARCAST_TOPIC_PREFIX,
      partitions: e.NEARCAST_TOPIC_PARTITIONS,
      locationRetentionMs: Math.round(e.NEARCAST_LOCATION_RETENTION_HOURS * 3_600_000),
    },
    auth: { tokenSecret: e.NEARCAST_TOKEN_SECRET, tokenCacheSize: e.NEARCAST_TOKEN_CACHE_SIZE },
    gateway: {
      host: e.NEARCAST_GATEWAY_HOST,
      port: e.NEARCAST_GATEWAY_PORT,
      maxPingsPerRequest: e.NEARCAST_MAX_PINGS_PER_REQUEST,
      maxBodyBytes: e.NEARCAST_MAX_BODY_BYTES,
      publishTimeoutMs: e.NEARCAST_PUBLISH_TIMEOUT_MS,
      maxClockSkewMs: e.NEARCAST_MAX_CLOCK_SKEW_SECONDS * 1000,
      trustProxy: e.NEARCAST_TRUST_PROXY,
      admission: {
        maxPendingPings: e.NEARCAST_GATEWAY_MAX_PENDING_PINGS,
        maxPendingAgeMs: e.NEARCAST_GATEWAY_MAX_PENDING_MS,
        maxLoopDelayMs: e.NEARCAST_GATEWAY_MAX_LOOP_DELAY_MS,
        maxLoopUtilization: e.NEARCAST_GATEWAY_MAX_LOOP_UTILIZATION,
      },
      rateLimits: {
        device: { max: e.NEARCAST_RATE_LIMIT_DEVICE_PER_MINUTE, windowMs: 60_000 },
        address: { max: e.NEARCAST_RATE_LIMIT_ADDRESS_PER_MINUTE, windowMs: 60_000 },
      },
    },
    matcher: {
      pingTtlMs: Math.round(e.NEARCAST_PING_TTL_SECONDS * 1000),
      pushTtlMs: e.NEARCAST_PUSH_TTL_SECONDS * 1000,
      exitGraceMs: Math.round(e.NEARCAST_EXIT_GRACE_SECONDS * 1000),
      cooldownMs: Math.round(e.NEARCAST_COOLDOWN_HOURS * 3_600_000),
      maxPushesPerDay: e.NEARCAST_MAX_PUSHES_PER_DAY,
      maxPushesPerPing: e.NEARCAST_MAX_PUSHES_PER_PING,
      maxAccuracyM: e.NEARCAST_MAX_ACCURACY_M,
      prefsCacheMs: e.NEARCAST_PREFS_CACHE_MS,
    },
    push: {
      vapid:
        e.NEARCAST_VAPID_PUBLIC_KEY && e.NEARCAST_VAPID_PRIVATE_KEY
          ? {
              publicKey: e.NEARCAST_VAPID_PUBLIC_KEY,
              privateKey: e.NEARCAST_VAPID_PRIVATE_KEY,
              subject: e.NEARCAST_VAPID_SUBJECT,
            }
          : undefined,
      caFile: e.NEARCAST_PUSH_CA_FILE,
      fcm: e.NEARCAST_FCM_SERVICE_ACCOUNT_FILE
        ? { serviceAccountFile: e.NEARCAST_FCM_SERVICE_ACCOUNT_FILE, connectTo: e.NEARCAST_FCM_CONNECT_TO }
        : undefined,
      concurrency: e.NEARCAST_PUSH_CONCURRENCY,
      allowedHosts: e.NEARCAST_PUSH_ALLOWED_HOSTS,
      allowPrivateAddresses: e.NEARCAST_PUSH_ALLOW_PRIVATE_ADDRESSES,
      maxRegistrationsPerUser: e.NEARCAST_PUSH_MAX_REGISTRATIONS_PER_USER,
    },
    coupons: {
      workerId: e.NEARCAST_WORKER_ID,
      dbPoolSize: e.NEARCAST_DB_POOL_SIZE,
      claimRatePerMinute: e.NEARCAST_CLAIM_RATE_PER_MINUTE,
      unitChunk: e.NEARCAST_CLAIM_UNIT_CHUNK,
      partnerQuota: { maxOffers: e.NEARCAST_PARTNER_MAX_OFFERS, maxUnits: e.NEARCAST_PARTNER_MAX_UNITS },
      outboxPollMs: e.NEARCAST_OUTBOX_POLL_MS,
      sweepEveryMs: e.NEARCAST_EXPIRY_SWEEP_MS,
      learnEveryMs: e.NEARCAST_LEARN_INTERESTS_MS,
    },
    ops: {
      health:
        e.NEARCAST_HEALTH_PORT === undefined
          ? undefined
          : { host: e.NEARCAST_HEALTH_HOST, port: e.NEARCAST_HEALTH_PORT },
      shutdownTimeoutMs: Math.round(e.NEARCAST_SHUTDOWN_TIMEOUT_SECONDS * 1000),
      readyCacheMs: e.NEARCAST_READY_CACHE_MS,
      http: {
        requestTimeoutMs: e.NEARCAST_HTTP_REQUEST_TIMEOUT_MS,
        // Node refuses a headers timeout above the request timeout.
        headersTimeoutMs: Math.min(e.NEARCAST_HTTP_HEADERS_TIMEOUT_MS, e.NEARCAST_HTTP_REQUEST_TIMEOUT_MS),
        keepAliveTimeoutMs: e.NEARCAST_HTTP_KEEP_ALIVE_TIMEOUT_MS,
        idleTimeoutMs: e.NEARCAST_HTTP_IDLE_TIMEOUT_MS,
      },
    },
    dashboard: {
      host: e.NEARCAST_DASHBOARD_HOST,
      port: e.NEARCAST_DASHBOARD_PORT,
      h3Resolution: e.NEARCAST_DASHBOARD_H3_RESOLUTION,
      windowMs: e.NEARCAST_DASHBOARD_WINDOW_SECONDS * 1000,
      minUsers: e.NEARCAST_DASHBOARD_MIN_USERS,
    },
  };
}

/**
 * `NEARCAST_X_FILE=/path` sets `NEARCAST_X` from that file (Kubernetes and
 * Docker mount secrets as files), unless `NEARCAST_X` is set itself.
 */
function withMountedSecrets(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out = { ...env };
  for (const [name, path] of Object.entries(env)) {
    if (
      !name.startsWith('NEARCAST_') ||
      !name.endsWith('_FILE') ||
      !path ||
      name === 'NEARCAST_PUSH_CA_FILE' ||
      name === 'NEARCAST_FCM_SERVICE_ACCOUNT_FILE'
    )
      continue;
    const target = name.slice(0, -'_FILE'.length);
    if (out[target] !== undefined) continue;
    try {
      out[target] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new NearcastError(
        'CONFIG_INVALID',
        `invalid configuration:\n  ${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  return out;
}

/** Parses and validates the environment; throws one CONFIG_INVALID error naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(withMountedSecrets(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new NearcastError('CONFIG_INVALID', `invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return toConfig(parsed.data);
}
