// The phones' side of Web Push, in its own process: the project's local Web
// Push service (VAPID checked, payload decrypted) with a pool of device
// subscriptions shared by the simulated phones. The payload carries the device
// time of the triggering fix (`triggeredTs`; older builds: the last part of the
// push id, the entry ping's time), so ping-to-push latency is arrival time
// minus that time, with no lookup.
import { LocalWebPushService, type ReceivedPush } from '../../scripts/local-push/webpush-service.ts';
import { MsHistogram } from '../lib/histogram.ts';
import { send, type SinkTick } from './ipc.ts';

const DEVICES = Number(process.argv[2] ?? 1000);

const svc = await LocalWebPushService.start();
const subscriptions = Array.from({ length: DEVICES }, () => svc.newDevice().subscription);
send({ type: 'ready', caFile: svc.caFile, subscriptions });

const firstSeen = new Map<string, { at: number; deviceId: string }>();
/** Every repeat, with both arrivals: enough to tell a resend from two registrations. */
let repeats: Array<{ pushId: string; firstAt: number; againAt: number; firstDevice: string; againDevice: string }> = [];
let hist = new MsHistogram();
let pushes = 0;
let duplicates = 0;
let pastTtl = 0;

svc.on('push', (p: ReceivedPush) => {
  const payload = p.payload as { pushId: string; expiresTs: number; triggeredTs?: number };
  pushes++;
  const first = firstSeen.get(payload.pushId);
  if (first) {
    duplicates++;
    repeats.push({
      pushId: payload.pushId,
      firstAt: first.at,
      againAt: p.receivedAt,
      firstDevice: first.deviceId,
      againDevice: p.deviceId,
    });
  } else firstSeen.set(payload.pushId, { at: p.receivedAt, deviceId: p.deviceId });
  if (p.receivedAt > payload.expiresTs) pastTtl++;
  const triggeredTs = payload.triggeredTs ?? Number(payload.pushId.slice(payload.pushId.lastIndexOf(':') + 1));
  if (Number.isFinite(triggeredTs)) hist.record(p.receivedAt - triggeredTs);
});
// The service keeps every push it received; the bench only needs the counts above.
setInterval(() => svc.received.splice(0), 5000).unref();

let lastRejected = 0;
const timer = setInterval(() => {
  const tick: SinkTick = {
    type: 'tick',
    t: Date.now(),
    pushes,
    duplicates,
    pastTtl,
    hist: hist.sparse(),
    max: hist.max,
    rejected: svc.rejected - lastRejected,
    repeats,
  };
  repeats = [];
  lastRejected = svc.rejected;
  send(tick);
  hist = new MsHistogram();
  pushes = duplicates = pastTtl = 0;
}, 1000);

process.on('message', (m: { type: string }) => {
  if (m.type !== 'stop') return;
  clearInterval(timer);
  void svc.close().then(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
