// Loading each user's registrations, then sending: each push is claimed in the
// ledger immediately before its first send and recorded finished once all its
// registrations have answered. Both are awaited here, not returned as effects:
// the ledger is what a redelivery is judged by, so it must be written before
// anything about the batch is published.
import type { LimitFunction } from 'p-limit';
import { ok, type StepResult } from '../../../pipeline/results.ts';
import type { BatchContext } from '../../../pipeline/steps.ts';
import type { PushRegistrations } from '../../../users/push-registrations.ts';
import { ensureState, type RestoreDeps } from '../../../pipeline/state-restore.ts';
import type { PushRequest } from '../../../schemas/types.ts';
import { deliverFcm, deliverWebPush, type DeliverDeps, type Job, type JobResult } from '../deliver.ts';
import type { FcmSender } from '../fcm-sender.ts';
import type { PushLedger, LedgerOutcome } from '../ledger.ts';
import type { WebPushSender } from '../webpush-sender.ts';
import type { MakeResult, Results } from './result.ts';
import type { Unsent } from './admit.ts';

type Batch = BatchContext<PushRequest>;

export interface Planned extends Results {
  jobs: Job[];
  jobsPerPush: Map<string, number>;
}

export interface LoadRegistrationsDeps {
  registrations: PushRegistrations;
  restore: RestoreDeps;
  epochKey: string;
  result: MakeResult;
}

export function createLoadRegistrationsStep(d: LoadRegistrationsDeps) {
  return async function loadRegistrations(unsent: Unsent, batch: Batch): Promise<StepResult<Planned>> {
    const { fresh, results } = unsent;
    const userIds = fresh.map((r) => r.userId);
    let { registrations: regs, intact } = await d.registrations.forUsers(userIds, d.epochKey);
    if (!intact) {
      await ensureState(d.restore); // Redis restarted empty: rebuild it from the changelog first
      ({ registrations: regs, intact } = await d.registrations.forUsers(userIds, d.epochKey));
      if (!intact) throw new Error('Redis state is still missing after a restore'); // kafkajs retries the batch
    }
    const jobs: Job[] = [];
    const jobsPerPush = new Map<string, number>();
    for (const req of fresh) {
      const targets = regs.get(req.userId) ?? [];
      if (targets.length === 0) {
        batch.drop('no_subscription');
        results.push(d.result(req, { outcome: 'NO_REGISTRATION' }));
      }
      jobsPerPush.set(req.pushId, targets.length);
      for (const reg of targets) jobs.push({ req, reg });
    }
    return ok({ jobs, jobsPerPush, results });
  };
}

export interface Sent extends Results {
  done: JobResult[];
}

export interface SendDeps {
  ledger: PushLedger;
  sendWebPush: WebPushSender;
  fcmSender: FcmSender | undefined;
  /** Web Push sends in flight in this process, whatever partitions' batches they come from. */
  sendSlots: LimitFunction;
  deliver: Omit<DeliverDeps, 'claim' | 'onDone'>;
  now: () => number;
}

export function createSendStep(d: SendDeps) {
  return async function send(planned: Planned, batch: Batch): Promise<StepResult<Sent>> {
    const { jobs, jobsPerPush, results } = planned;
    const track = trackLedger(d.ledger, jobsPerPush, batch);
    const hooks = { ...d.deliver, ...track.hooks };
    const fcmJobs = jobs.filter((j) => j.reg.registration.type === 'fcm');
    const webJobs = jobs.filter((j) => j.reg.registration.type === 'webpush');
    const [web, mobile] = await Promise.all([
      deliverWebPush(webJobs, d.sendWebPush, d.sendSlots, hooks),
      d.fcmSender
        ? deliverFcm(fcmJobs, d.fcmSender, hooks)
        : fcmJobs.map((job) => unserved(job, d.now(), track.hooks.onDone)),
    ]);
    await track.finished();
    return ok({ done: [...web, ...mobile], results });
  };
}

/** Claims each push once, just before its first send; records it finished once all its registrations have answered. */
function trackLedger(ledger: PushLedger, jobsPerPush: Map<string, number>, batch: Batch) {
  const claims = new Map<string, Promise<boolean>>();
  const outcomes = new Map<string, LedgerOutcome[]>();
  const writes: Promise<void>[] = [];
  const claim = (job: Job) => {
    let owned = claims.get(job.req.pushId);
    if (!owned) {
      owned = ledger.claim(job.req.pushId, job.req.expiresTs).then((ok) => {
        if (!ok) batch.drop('duplicate');
        return ok;
      });
      claims.set(job.req.pushId, owned);
    }
    return owned;
  };
  const onDone = (r: JobResult) => {
    const id = r.job.req.pushId;
    const list = outcomes.get(id) ?? [];
    list.push({ channel: r.channel, outcome: r.outcome, attempts: r.attempts, status: r.status ?? null });
    outcomes.set(id, list);
    if (list.length === jobsPerPush.get(id)) writes.push(ledger.finish(id, r.job.req.expiresTs, list));
  };
  return { hooks: { claim, onDone }, finished: async () => void (await Promise.all(writes)) };
}

function unserved(job: Job, t: number, onDone: (r: JobResult) => void): JobResult {
  const reason = 'FCM is not configured';
  const r: JobResult = {
    job,
    channel: 'FCM',
    outcome: 'FAILED',
    attempts: 0,
    status: undefined,
    reason,
    completedTs: t,
  };
  onDone(r);
  return r;
}
