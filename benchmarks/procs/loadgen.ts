// The load generator, in its own process: N phones walking the city, each
// pinging the real gateway over HTTP keep-alive (undici Pool) on an open-loop
// schedule. The device timestamp is the time the ping fell due, so a late
// send (the generator or the gateway falling behind) shows up as latency.
import { Pool } from 'undici';
import { secretKey, signToken } from '../../gateway/auth.ts';
import { MsHistogram } from '../lib/histogram.ts';
import { fix, newWalker, walk, type Walker } from '../sim/city.ts';
import { seededRng } from '../sim/rng.ts';
import { OpenLoopSchedule, rateAt } from '../sim/schedule.ts';
import { send, type LoadgenSetup, type LoadgenTick } from './ipc.ts';

const TICK_MS = 5;

interface Ping {
  lat: number;
  lng: number;
  accuracy: number;
  recordedAt: string;
}

async function setup(s: LoadgenSetup) {
  const rng = seededRng(s.seed);
  const walkers: Walker[] = [];
  const phase = new Float64Array(s.phones);
  for (let i = 0; i < s.phones; i++) {
    walkers.push(newWalker(s.city, rng));
    phase[i] = rng() * s.intervalMs;
  }
  const key = secretKey(s.tokenSecret);
  const tokens: string[] = [];
  for (let i = 0; i < s.phones; i += 1000) {
    const chunk = await Promise.all(
      Array.from({ length: Math.min(1000, s.phones - i) }, (_, j) =>
        signToken(key, { userId: `u${i + j}`, role: 'device' }),
      ),
    );
    for (const t of chunk) tokens.push(`Bearer ${t}`);
  }
  if (s.register) await registerPhones(s, tokens);
  return { walkers, phase, tokens, rng };
}

/** Each phone registers its push subscription through the public API, as a real phone does (retrying 429/503). */
async function registerPhones(s: LoadgenSetup, tokens: string[]) {
  const pool = new Pool(s.baseUrl, { connections: 128 });
  let next = 0;
  const worker = async () => {
    while (next < tokens.length) {
      const i = next++;
      const body = JSON.stringify({ type: 'webpush', subscription: s.subscriptions[i % s.subscriptions.length] });
      for (let attempt = 0; ; attempt++) {
        const res = await pool.request({
          method: 'POST',
          path: '/v1/push/subscriptions',
          headers: { authorization: tokens[i]!, 'content-type': 'application/json' },
          body,
        });
        const text = await res.body.text();
        if (res.statusCode === 201) break;
        if (attempt >= 5 || (res.statusCode !== 429 && res.statusCode !== 503))
          throw new Error(`registering phone ${i}: ${res.statusCode} ${text}`);
        await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
      }
    }
  };
  await Promise.all(Array.from({ length: 128 }, worker));
  await pool.close();
}

function run(s: LoadgenSetup, st: Awaited<ReturnType<typeof setup>>) {
  const pool = new Pool(s.baseUrl, {
    connections: s.connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: 15_000,
    bodyTimeout: 15_000,
  });
  const schedule = new OpenLoopSchedule(st.phase, s.intervalMs);
  const lastPingTs = new Float64Array(s.phones);
  let tick = freshTick();
  let inFlight = 0;
  const start = Date.now();
  let prev = start;
  let stopping = false;

  /** The phone walks on to `deviceTs` and takes a fix there. */
  const heldFix = (phone: number, deviceTs: number): Ping => {
    const w = st.walkers[phone]!;
    if (lastPingTs[phone]) walk(w, (deviceTs - lastPingTs[phone]!) / 1000, s.city, st.rng);
    lastPingTs[phone] = deviceTs;
    const { lat, lng } = fix(w, s.city, st.rng);
    return { lat, lng, accuracy: 8, recordedAt: new Date(deviceTs).toISOString() };
  };
  const perRequest = Math.max(1, s.pingsPerRequest ?? 1);
  /** Fixes a phone holds until its batch is full (only when perRequest > 1). */
  const held: Array<Ping[] | undefined> = new Array(perRequest > 1 ? s.phones : 0);
  // Steady state from the first second: phone i already holds (i mod perRequest) fixes from
  // the last intervals, so fill levels are spread and every request carries perRequest fixes.
  for (let phone = 0; perRequest > 1 && phone < s.phones; phone++) {
    const n = phone % perRequest;
    const stepMs = s.intervalMs / Math.max(1e-9, s.phases[0]?.rate ?? 1);
    if (n) held[phone] = Array.from({ length: n }, (_, j) => heldFix(phone, start - (n - j) * stepMs));
  }

  const fire = (phone: number, deviceTs: number) => {
    tick.due++;
    const heldBefore = held[phone]?.length ?? 0;
    const completes = heldBefore + 1 >= perRequest;
    if (completes && inFlight >= s.maxInFlight) {
      tick.notSent += heldBefore + 1;
      held[phone] = undefined;
      return;
    }
    const ping = heldFix(phone, deviceTs);
    if (!completes) {
      (held[phone] ??= []).push(ping);
      return;
    }
    const pings = heldBefore ? [...held[phone]!, ping] : [ping];
    held[phone] = undefined;
    const body = JSON.stringify(perRequest === 1 ? ping : { pings });
    inFlight++;
    tick.sent += pings.length;
    pool
      .request({
        method: 'POST',
        path: '/v1/locations',
        headers: { authorization: st.tokens[phone]!, 'content-type': 'application/json' },
        body,
      })
      .then(async (res) => {
        await res.body.dump();
        const k = String(res.statusCode);
        tick.byStatus[k] = (tick.byStatus[k] ?? 0) + 1;
        if (res.statusCode === 202) {
          tick.acked += pings.length;
          tick.hist.record(Date.now() - deviceTs);
        }
      })
      .catch((err: { code?: string }) => {
        const k = err.code ?? 'error';
        tick.byStatus[k] = (tick.byStatus[k] ?? 0) + 1;
      })
      .finally(() => inFlight--);
  };

  const loop = setInterval(() => {
    const now = Date.now();
    const rate = stopping ? 0 : rateAt(s.phases, (now - start) / 1000);
    schedule.advance(now - prev, rate, (phone, f) => fire(phone, Math.round(prev + f * (now - prev))));
    prev = now;
  }, TICK_MS);

  const report = setInterval(() => {
    const out: LoadgenTick = {
      type: 'tick',
      t: Date.now(),
      due: tick.due,
      sent: tick.sent,
      acked: tick.acked,
      notSent: tick.notSent,
      inFlight,
      byStatus: tick.byStatus,
      ackHist: tick.hist.sparse(),
      ackMax: tick.hist.max,
    };
    send(out);
    tick = freshTick();
  }, 1000);

  return async function stop() {
    stopping = true;
    clearInterval(loop);
    const deadline = Date.now() + 20_000;
    while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    clearInterval(report);
    send({
      type: 'tick',
      t: Date.now(),
      due: tick.due,
      sent: tick.sent,
      acked: tick.acked,
      notSent: tick.notSent,
      inFlight,
      byStatus: tick.byStatus,
      ackHist: tick.hist.sparse(),
      ackMax: tick.hist.max,
    } satisfies LoadgenTick);
    await pool.close().catch(() => {});
  };
}

function freshTick() {
  return {
    due: 0,
    sent: 0,
    acked: 0,
    notSent: 0,
    byStatus: {} as Record<string, number>,
    hist: new MsHistogram(60_000),
  };
}

let stop: (() => Promise<void>) | undefined;
let prepared: Awaited<ReturnType<typeof setup>> | undefined;
let spec: LoadgenSetup | undefined;
process.on('message', (m: { type: string } & Partial<LoadgenSetup>) => {
  if (m.type === 'setup') {
    spec = m as LoadgenSetup;
    void setup(spec).then((st) => {
      prepared = st;
      send({ type: 'ready' });
    });
  } else if (m.type === 'start' && spec && prepared) {
    stop = run(spec, prepared);
  } else if (m.type === 'stop') {
    void (stop?.() ?? Promise.resolve()).then(() => {
      send({ type: 'stopped' });
      setTimeout(() => process.exit(0), 200);
    });
  }
});
process.on('disconnect', () => process.exit(0));
