// The broker restarts under load. While it is down the gateway answers 503
// with Retry-After and never acknowledges what it did not write; phones retry;
// everything acknowledged is processed after recovery, nothing is pushed twice.
// It restarts the shared local broker: integration files run one at a time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { eventually, publishOffer, startSpine, subscribeDevice, type Spine } from '../support/harness.ts';

const run = promisify(execFile);
const RESTART = fileURLToPath(new URL('../../scripts/stack/restart-kafka.sh', import.meta.url));
const CORNER = { lat: 40.4168, lng: -3.7038 };

describe('broker restart under load', () => {
  let s: Spine;
  beforeAll(async () => {
    s = await startSpine({ NEARCAST_PING_TTL_SECONDS: '180', NEARCAST_PUBLISH_TIMEOUT_MS: '1500' });
    await publishOffer(s, { title: 'Churros', circles: [{ ...CORNER, radiusM: 250 }] });
  });
  afterAll(() => s?.close());

  it('loses no acknowledged ping and duplicates no push', async () => {
    const report = {
      faults: 0,
      phones: 0,
      requests: 0,
      acked: 0,
      ackedAfterRestart: 0,
      unavailable: 0,
      otherErrors: 0,
      lost: 0,
      duplicates: 0,
    };
    let restartedAt = Infinity;
    const ackedUsers: string[] = [];
    const deviceOf = new Map<string, string>();
    let stop = false;

    // Phones register before the fault: a registration needs the broker too (it is made durable there).
    const users = Array.from({ length: 400 }, (_, i) => `fault-${i}`);
    await Promise.all(users.map(async (u) => deviceOf.set(u, (await subscribeDevice(s, u)).id)));

    /** A phone: one entry ping, retried after Retry-After on 503 like a real client would. */
    async function phone(userId: string) {
      const token = await s.deviceToken(userId);
      for (let attempt = 0; attempt < 20; attempt++) {
        report.requests++;
        const res = await s.app.inject({
          method: 'POST',
          url: '/v1/locations',
          headers: { authorization: `Bearer ${token}` },
          payload: { lat: CORNER.lat, lng: CORNER.lng, accuracy: 5, recordedAt: new Date().toISOString() },
        });
        if (res.statusCode === 202) {
          report.acked++;
          if (Date.now() > restartedAt) report.ackedAfterRestart++;
          ackedUsers.push(userId);
          return;
        }
        if (res.statusCode === 503) {
          report.unavailable++;
          expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
          await new Promise((r) => setTimeout(r, Number(res.headers['retry-after']) * 1000));
        } else {
          report.otherErrors++;
          return;
        }
      }
    }

    const load = (async () => {
      const phones: Promise<void>[] = [];
      for (let i = 0; !stop && i < users.length; i++) {
        report.phones++;
        phones.push(phone(users[i]!));
        await new Promise((r) => setTimeout(r, 40));
      }
      await Promise.all(phones);
    })();
    await new Promise((r) => setTimeout(r, 1500));
    report.faults++;
    await run('bash', [RESTART], { timeout: 120_000 });
    restartedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    await load;

    await eventually(
      () => ackedUsers.every((u) => s.push.received.some((p) => p.deviceId === deviceOf.get(u))),
      90_000,
      'every acknowledged ping processed',
    );
    await new Promise((r) => setTimeout(r, 1500));
    const perDevice = new Map<string, number>();
    for (const p of s.push.received) perDevice.set(p.deviceId, (perDevice.get(p.deviceId) ?? 0) + 1);
    report.lost = ackedUsers.filter((u) => !perDevice.has(deviceOf.get(u)!)).length;
    report.duplicates = [...perDevice.values()].filter((n) => n > 1).length;
    console.log(`fault report: ${JSON.stringify(report)}`);

    expect(report.unavailable).toBeGreaterThan(0); // the outage was seen, and answered 503
    expect(report.otherErrors).toBe(0);
    // The gateway recovers: pings are acknowledged again after the restart, and every phone got through.
    expect(report.ackedAfterRestart).toBeGreaterThan(0);
    expect(report.acked).toBe(report.phones);
    expect(report.lost).toBe(0);
    expect(report.duplicates).toBe(0);
  }, 240_000);
});
