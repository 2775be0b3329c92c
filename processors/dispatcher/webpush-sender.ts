// Web Push adapter: the web-push library (VAPID, RFC 8291 aes128gcm) over a
// keep-alive agent. Returns the push service's status instead of throwing so
// the decision code sees every answer the same way.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import webpush from 'web-push';
import type { PushRegistration } from '../../users/push-registrations.ts';
import { checkEndpoint, type HostRule } from '../../pipeline/push-targets.ts';
import { createGuardedAgent, isRefused } from './guarded-agent.ts';

export interface SendResult {
  /** HTTP status from the push service; undefined for a network error or timeout. */
  status: number | undefined;
  retryAfter: string | undefined;
  error?: string;
  /** Set when nearcast refused to send at all (host not allowed, no public address): final, never retried. */
  refused?: string;
}

export interface WebPushOptions {
  vapid: { publicKey: string; privateKey: string; subject: string };
  /** PEM file of an extra CA to trust (a local push service); production leaves it unset. */
  caFile: string | undefined;
  timeoutMs: number;
  /** Push-service hosts sends may go to; checked again here for registrations stored before the rule. */
  allowedHosts: readonly HostRule[];
  /** Connect to loopback and private addresses too: local stand-ins only. */
  allowPrivateAddresses: boolean;
}

export type WebPushSender = (
  reg: Extract<PushRegistration, { type: 'webpush' }>,
  payload: string,
  ttlSeconds: number,
  pushId: string,
) => Promise<SendResult>;

const VAPID_LIFETIME_S = 12 * 3600;
const VAPID_RENEW_BEFORE_S = 3600;

/**
 * One VAPID Authorization header per push-service origin, reused until an
 * hour before it expires (RFC 8292 allows up to 24 h): signing a fresh ES256
 * JWT for every push dominated the dispatcher's CPU (benchmarks/FINDINGS.md).
 */
function vapidHeaders(vapid: WebPushOptions['vapid'], now: () => number) {
  const cache = new Map<string, { header: string; exp: number }>();
  return (endpoint: string): string => {
    const audience = new URL(endpoint).origin;
    const t = Math.floor(now() / 1000);
    const hit = cache.get(audience);
    if (hit && hit.exp - t > VAPID_RENEW_BEFORE_S) return hit.header;
    const exp = t + VAPID_LIFETIME_S;
    const header = webpush.getVapidHeaders(
      audience,
      vapid.subject,
      vapid.publicKey,
      vapid.privateKey,
      'aes128gcm',
      exp,
    ).Authorization;
    cache.set(audience, { header, exp });
    return header;
  };
}

export function createWebPushSender(o: WebPushOptions, now: () => number = Date.now): WebPushSender {
  const tls = o.caFile ? { ca: readFileSync(o.caFile) } : {};
  const agent = createGuardedAgent({ keepAlive: true, maxSockets: 256, ...tls }, o.allowPrivateAddresses);
  const authorization = vapidHeaders(o.vapid, now);
  return async (reg, payload, ttlSeconds, pushId) => {
    const target = checkEndpoint(reg.endpoint, o.allowedHosts);
    if ('reason' in target) return refused(`endpoint ${target.reason}`);
    try {
      const res = await webpush.sendNotification({ endpoint: reg.endpoint, keys: reg.keys }, payload, {
        TTL: ttlSeconds,
        headers: { Authorization: authorization(reg.endpoint) },
        agent,
        timeout: o.timeoutMs,
        urgency: 'high',
        // RFC 8030 topic: a resend after a timed-out attempt replaces the first copy still waiting at the push service.
        topic: createHash('sha256').update(pushId).digest('base64url').slice(0, 32),
        contentEncoding: 'aes128gcm',
      });
      return { status: res.statusCode, retryAfter: header(res.headers, 'retry-after') };
    } catch (err) {
      if (isRefused(err)) return refused((err as Error).message);
      if (err instanceof webpush.WebPushError)
        return { status: err.statusCode, retryAfter: header(err.headers, 'retry-after'), error: err.body };
      return { status: undefined, retryAfter: undefined, error: (err as Error).message };
    }
  };
}

function refused(reason: string): SendResult {
  return { status: undefined, retryAfter: undefined, error: reason, refused: reason };
}

function header(headers: Record<string, string | string[] | undefined> | undefined, name: string): string | undefined {
  const v = headers?.[name];
  return Array.isArray(v) ? v[0] : v;
}
