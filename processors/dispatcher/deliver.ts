// Delivery loops per channel: send, classify the answer, retry what is
// transient (bounded attempts, backoff or Retry-After, never past the push's
// expiry), and report one final result per (push, registration).
import type { LimitFunction } from 'p-limit';
import type { StoredRegistration } from '../../users/push-registrations.ts';
import type { DeliveryOutcome, PushChannel, PushRequest } from '../../schemas/types.ts';
import { classify, remainingTtlSeconds, type RetryPolicy, type SendOutcome } from './decide.ts';
import { fcmMessage, webPushPayload } from './messages.ts';
import type { FcmSender } from './fcm-sender.ts';
import type { SendResult, WebPushSender } from './webpush-sender.ts';

export interface Job {
  req: PushRequest;
  reg: StoredRegistration;
}

export interface JobResult {
  job: Job;
  channel: PushChannel;
  outcome: Extract<DeliveryOutcome, 'DELIVERED' | 'GONE' | 'FAILED'>;
  attempts: number;
  status: number | undefined;
  reason: string;
  completedTs: number;
  /** nearcast refused the target itself (not an allowed push service, or no public address): drop the registration. */
  refused?: boolean;
}

export interface DeliverDeps {
  now: () => number;
  random: () => number;
  policy: RetryPolicy;
  /** Called for every attempt's classified answer (metrics). */
  onAttempt: (channel: PushChannel, kind: SendOutcome['kind']) => void;
  /** Asked immediately before a job's first send: false means someone else owns that push, so skip it. */
  claim?: (job: Job) => Promise<boolean>;
  /** Told as soon as a job has its final result, so its push can be recorded as finished. */
  onDone?: (result: JobResult) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function finish(
  job: Job,
  channel: PushChannel,
  o: SendOutcome,
  attempts: number,
  r: SendResult,
  now: number,
): JobResult | undefined {
  if (o.kind === 'retry') return undefined;
  const outcome = o.kind === 'delivered' ? 'DELIVERED' : o.kind === 'gone' ? 'GONE' : 'FAILED';
  return {
    job,
    channel,
    outcome,
    attempts,
    status: r.status,
    reason: o.kind === 'failed' ? o.reason : (r.error ?? ''),
    completedTs: now,
  };
}

/**
 * Web Push: one request per registration, each retried on its own schedule.
 * `limit` is shared by every batch the process works on at once, so it bounds
 * the sends in flight per process (and with them what a crash leaves in doubt).
 */
export async function deliverWebPush(
  jobs: Job[],
  send: WebPushSender,
  limit: LimitFunction,
  d: DeliverDeps,
): Promise<JobResult[]> {
  const results: JobResult[] = [];
  const one = async (job: Job) => {
    if (job.reg.registration.type !== 'webpush') return;
    if (d.claim && !(await d.claim(job))) return;
    for (let attempt = 0; ; attempt++) {
      const r = await send(
        job.reg.registration,
        webPushPayload(job.req),
        remainingTtlSeconds(job.req, d.now()),
        job.req.pushId,
      );
      // A refused target is final: retrying cannot make it an allowed, public push service.
      const o: SendOutcome = r.refused
        ? { kind: 'failed', reason: `refused: ${r.refused}` }
        : classify(r.status, r.retryAfter, attempt, job.req, d.now(), d.policy, d.random);
      d.onAttempt('WEBPUSH', o.kind);
      const done = finish(job, 'WEBPUSH', o, attempt + 1, r, d.now());
      if (done && r.refused) done.refused = true;
      if (done) {
        results.push(done);
        return void d.onDone?.(done);
      }
      if (o.kind === 'retry') await sleep(o.delayMs);
    }
  };
  await Promise.all(jobs.map((job) => limit(() => one(job))));
  return results;
}

/** FCM: rounds of sendEach (≤ 500 per call); the transient failures of a round go again after the longest wait asked. */
export async function deliverFcm(jobs: Job[], sender: FcmSender, d: DeliverDeps): Promise<JobResult[]> {
  const results: JobResult[] = [];
  let pending = jobs.filter((j) => j.reg.registration.type === 'fcm');
  if (d.claim) {
    const owned = await Promise.all(pending.map((j) => d.claim!(j)));
    pending = pending.filter((_, i) => owned[i]);
  }
  for (let attempt = 0; pending.length > 0; attempt++) {
    const answers = await sender.send(
      pending.map((j) => fcmMessage(j.req, (j.reg.registration as { token: string }).token, d.now())),
    );
    const retry: Job[] = [];
    let wait = 0;
    pending.forEach((job, i) => {
      const r = answers[i] ?? { status: undefined, retryAfter: undefined };
      const o = classify(r.status, r.retryAfter, attempt, job.req, d.now(), d.policy, d.random);
      d.onAttempt('FCM', o.kind);
      const done = finish(job, 'FCM', o, attempt + 1, r, d.now());
      if (done) {
        results.push(done);
        d.onDone?.(done);
      } else if (o.kind === 'retry') {
        retry.push(job);
        wait = Math.max(wait, o.delayMs);
      }
    });
    if (retry.length) await sleep(wait);
    const t = d.now();
    pending = retry.filter((job) => {
      if (job.req.expiresTs > t) return true;
      const expired: JobResult = {
        job,
        channel: 'FCM',
        outcome: 'FAILED',
        attempts: attempt + 1,
        status: undefined,
        reason: 'expired before the next attempt',
        completedTs: t,
      };
      results.push(expired);
      d.onDone?.(expired);
      return false;
    });
  }
  return results;
}
