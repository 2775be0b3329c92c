// The live dashboard in a real browser (Debian's Chromium via playwright-core): phones ping
// through the gateway, the page receives snapshots over server-sent events, draws H3 cells
// and geofences, lists the pushes; no ping's coordinates reach the page. Saves
// docs/dashboard.png. (Page-side checks are strings: this project's TS has no DOM types.)
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard } from '../../dashboard/dashboard.ts';
import { ensureDebianPackage } from '../../ops/debian-tool.ts';
import { eventually, postPing, publishOffer, startSpine, subscribeDevice, type Spine } from '../support/harness.ts';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// The committed screenshot changes only on request (NEARCAST_UPDATE_SCREENSHOT=1); other runs keep theirs under .stack/.
const SCREENSHOT = fileURLToPath(
  new URL(
    process.env['NEARCAST_UPDATE_SCREENSHOT'] === '1' ? '../../docs/dashboard.png' : '../../.stack/dashboard.png',
    import.meta.url,
  ),
);
// Three busy spots in central Amsterdam, each with an offer.
const SPOTS = [
  { lat: 52.3731, lng: 4.8926, title: 'Coffee 2 for 1 · Dam', radiusM: 220 },
  { lat: 52.3636, lng: 4.8838, title: '20% off · Leidseplein', radiusM: 260 },
  { lat: 52.3791, lng: 4.9003, title: 'Free pastry · Centraal', radiusM: 200 },
];

describe('live dashboard', () => {
  let s: Spine;
  let d: Dashboard;
  let browser: Browser;
  let base: string;
  const sent: number[] = [];

  beforeAll(async () => {
    ensureDebianPackage('chromium', CHROMIUM);
    s = await startSpine({
      NEARCAST_DASHBOARD_MIN_USERS: '1',
      NEARCAST_DASHBOARD_H3_RESOLUTION: '9',
      NEARCAST_PING_TTL_SECONDS: '20',
    });
    d = await startDashboard(s.rt);
    base = await d.app.listen({ host: '127.0.0.1', port: 0 });
    const offers = await Promise.all(
      SPOTS.map((p) =>
        publishOffer(s, {
          title: p.title,
          body: 'Show this at the counter',
          circles: [{ lat: p.lat, lng: p.lng, radiusM: p.radiusM }],
        }),
      ),
    );
    await eventually(
      () => offers.every((o) => s.matchers[0]!.directory.get(o.offerId) !== undefined),
      10_000,
      'offers reach the matcher',
    );
    await d.joined;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  }, 300_000); // a fresh machine installs Chromium first
  afterAll(async () => {
    await browser?.close();
    await d?.stop();
    await s?.close();
  });

  it('shows live density cells, geofences and pushes, never a raw coordinate', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 860 } });
    await page.goto(base);
    await page.waitForFunction('Number(document.body.dataset.snapshots ?? 0) >= 1', undefined, { timeout: 10_000 });

    // 120 phones: most wander around the spots (walking into the geofences), some further out.
    const rand = mulberry32(7);
    const phones = Array.from({ length: 120 }, (_, i) => {
      const spot = SPOTS[i % SPOTS.length]!;
      const spread = i % 5 === 0 ? 0.02 : 0.006;
      return {
        userId: `dash-${i}`,
        lat: spot.lat + (rand() - 0.5) * spread,
        lng: spot.lng + (rand() - 0.5) * spread * 1.6,
        spot,
      };
    });
    await Promise.all(phones.map((p) => subscribeDevice(s, p.userId)));
    for (let round = 0; round < 6; round++) {
      const statuses = await Promise.all(
        phones.map((p) => {
          // Each round every phone steps a third of the way towards its spot, plus a little noise.
          p.lat += (p.spot.lat - p.lat) / 3 + (rand() - 0.5) * 0.0006;
          p.lng += (p.spot.lng - p.lng) / 3 + (rand() - 0.5) * 0.0009;
          sent.push(p.lat);
          return postPing(s, p.userId, p.lat, p.lng);
        }),
      );
      expect(statuses.every((x) => x === 202)).toBe(true);
      await new Promise((r) => setTimeout(r, 700));
    }

    await page.waitForFunction("document.querySelectorAll('#cells polygon').length >= 5", undefined, {
      timeout: 15_000,
    });
    await page.waitForFunction("document.querySelectorAll('#push-list li .title').length >= 3", undefined, {
      timeout: 15_000,
    });
    await page.waitForFunction("document.querySelector('.outcome.DELIVERED') !== null", undefined, { timeout: 15_000 });
    expect(await page.locator('#fences ellipse').count()).toBe(SPOTS.length);
    expect(Number(await page.locator('#pings').textContent())).toBeGreaterThan(0);
    const titles = await page.locator('#push-list li .title').allTextContents();
    expect(titles.some((t) => SPOTS.some((p) => p.title === t))).toBe(true);
    expect(await page.locator('#p99').textContent()).toMatch(/\d+ (ms|s)/);

    // What the page receives carries cell ids, counts and cell outlines, not pings.
    const snapshot = await (await fetch(`${base}/api/snapshot`)).text();
    expect(snapshot).not.toMatch(/dash-\d+/);
    for (const lat of sent.slice(0, 50)) expect(snapshot).not.toContain(String(lat));
    const phonesShown = (JSON.parse(snapshot) as { cells: Array<{ users: number }> }).cells.reduce(
      (a, c) => a + c.users,
      0,
    );
    expect(phonesShown).toBeGreaterThanOrEqual(phones.length);

    await page.waitForTimeout(1200); // one more tick so the screenshot shows settled numbers
    await page.screenshot({ path: SCREENSHOT });
  });
});

function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
