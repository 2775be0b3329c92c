// Matchers scale out in one consumer group, and a matcher killed mid-batch
// (SIGKILL, repeatedly, while pings flow) neither loses an entry nor makes a
// user receive the same offer twice for the same visit.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eventually, postPing, publishOffer, startSpine, subscribeDevice, type Spine } from '../support/harness.ts';

const MALL = { lat: 48.1372, lng: 11.5756 };
const MATCHER_MAIN = fileURLToPath(new URL('../../processors/matcher/main.ts', import.meta.url));

function pushesPerDevice(s: Spine): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of s.push.received) counts.set(p.deviceId, (counts.get(p.deviceId) ?? 0) + 1);
  return counts;
}

describe('matchers', () => {
  let s: Spine | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children) c.kill('SIGKILL');
    children.length = 0;
    await s?.close();
    s = undefined;
  });

  it('share the partitions of the location topic: both do work, nobody is pushed twice', async () => {
    s = await startSpine({}, { matchers: 2 });
    const offer = await publishOffer(s, { title: 'Pretzel', circles: [{ ...MALL, radiusM: 300 }] });
    await eventually(
      () => s!.matchers.every((m) => m.directory.get(offer.offerId) !== undefined),
      10_000,
      'offer reaches both matchers',
    );
    const users = Array.from({ length: 90 }, (_, i) => `scale-${i}`);
    const devices = await Promise.all(users.map((u) => subscribeDevice(s!, u)));
    for (const round of [0, 1])
      await Promise.all(users.map((u) => postPing(s!, u, MALL.lat + round * 0.0001, MALL.lng)));
    await eventually(() => s!.push.received.length >= users.length, 20_000, 'every user pushed');
    await new Promise((r) => setTimeout(r, 500));
    expect(s.matchers.map((m) => m.processed > 0)).toEqual([true, true]);
    const counts = pushesPerDevice(s);
    expect(devices.every((d) => counts.get(d.id) === 1)).toBe(true);
  });

  it('survive SIGKILL mid-batch: every entry pushed exactly once', async () => {
    s = await startSpine({ NEARCAST_PING_TTL_SECONDS: '60' }, { matchers: 0 });
    const spine = s;
    const offer = await publishOffer(spine, { title: 'Crash-proof coffee', circles: [{ ...MALL, radiusM: 300 }] });
    const group = `${spine.config.topics.prefix}matcher`;
    const startMatcher = async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', MATCHER_MAIN], {
        env: { ...process.env, ...spine.env },
        stdio: 'ignore',
      });
      children.push(child);
      await eventually(
        async () => {
          const { groups } = await spine.rt.admin.describeGroups([group]);
          return groups[0]?.state === 'Stable' && groups[0].members.length === 1;
        },
        30_000,
        'matcher child joined',
      );
      return child;
    };

    const users = Array.from({ length: 240 }, (_, i) => `crash-${i}`);
    const devices = await Promise.all(users.map((u) => subscribeDevice(spine, u)));
    let killed = 0;
    for (let wave = 0; wave < 3; wave++) {
      const child = await startMatcher();
      const waveUsers = users.slice(wave * 80, wave * 80 + 80);
      const before = spine.push.received.length;
      // Pings keep flowing while the matcher is killed part-way through the wave.
      const sending = (async () => {
        for (const u of waveUsers) {
          expect(await postPing(spine, u, MALL.lat, MALL.lng)).toBe(202);
          expect(await postPing(spine, u, MALL.lat + 0.00005, MALL.lng)).toBe(202);
        }
      })();
      await eventually(() => spine.push.received.length > before + 10, 20_000, 'some pushes of the wave');
      child.kill('SIGKILL');
      killed++;
      await sending;
    }
    await startMatcher(); // the survivor finishes everything the killed ones left
    await eventually(
      () => new Set(spine.push.received.map((p) => p.deviceId)).size === users.length,
      60_000,
      'every user pushed',
    );
    await new Promise((r) => setTimeout(r, 1500)); // room for any late duplicate to show up
    const counts = pushesPerDevice(spine);
    expect(killed).toBe(3);
    expect(devices.filter((d) => counts.get(d.id) !== 1)).toEqual([]);
    expect(spine.push.received.every((p) => (p.payload as { offerId: string }).offerId === offer.offerId)).toBe(true);
  });
});
