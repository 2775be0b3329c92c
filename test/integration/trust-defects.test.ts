// Smaller correctness defects at the trust boundary (issue #11, item 5): token
// spellings, timestamps PostgreSQL and JavaScript read differently, error
// answers in fastify's shape instead of ours, four eyes, and message grammar.
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCouponStack, type CouponStack } from '../support/coupons.ts';

const FENCE = { lat: 52.37, lng: 4.89, radiusM: 150 };
const REWARD = { type: 'cashback', fixedMinor: 100 };
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Every non-2xx answer of the gateway is `{ error: { code, message } }`. */
function expectOurShape(status: number, body: string, where: string): void {
  expect(status, where).toBeGreaterThanOrEqual(400);
  const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
  expect(Object.keys(parsed), where).toEqual(['error']);
  expect(typeof parsed.error?.code, where).toBe('string');
  expect(typeof parsed.error?.message, where).toBe('string');
}

/** Sends raw bytes to a listening gateway and returns the status and body of its answer. */
async function rawRequest(port: number, bytes: string): Promise<{ status: number; body: string }> {
  const text = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    let got = '';
    socket.setEncoding('utf8').on('data', (d: string) => (got += d));
    socket.on('close', () => resolve(got)).on('error', (err) => (got ? resolve(got) : reject(err)));
  });
  const [head = '', ...rest] = text.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), body: rest.join('\r\n\r\n') };
}

describe('trust defects', () => {
  let s: CouponStack;
  let admin: string;

  beforeAll(async () => {
    s = await startCouponStack({}, { worker: false });
    admin = await s.token('admin', 'td-ada');
  });
  afterAll(() => s?.close());

  const post = (url: string, token: string, body?: unknown) => s.call('POST', url, token, body);
  const message = (res: { json: unknown }) => (res.json as { error: { message: string } }).error.message;
  const window = (startsAt: string, endsAt: string) => ({ startsAt, endsAt });
  const hoursFromNow = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
  async function campaign(token: string): Promise<string> {
    const body = { name: 'td', ...window(hoursFromNow(-1), hoursFromNow(24)), budgetMinor: 10_000 };
    const res = await post('/v1/admin/campaigns', token, body);
    expect(res.status).toBe(201);
    return (res.json as { campaignId: string }).campaignId;
  }
  const offerIn = (campaignId: string) => ({
    campaignId,
    title: 'td',
    circles: [FENCE],
    reward: REWARD,
    caps: { maxTotal: 5 },
  });
  const report = (campaignId: string, from: string, to: string) =>
    s.call('GET', `/v1/admin/campaigns/${campaignId}/report?from=${from}&to=${to}`, admin);

  it('accepts a token only in its canonical spelling', async () => {
    const token = await s.token('marketer', 'td-jwt');
    const [h, p, sig] = token.split('.') as [string, string, string];
    const get = (t: string) =>
      s.app.inject({ method: 'GET', url: '/v1/admin/campaigns', headers: { authorization: `Bearer ${t}` } });
    expect((await get(token)).statusCode).toBe(200);
    // The last character of a 32-byte signature carries 2 unused bits: flipping one decodes to the same bytes.
    const last = B64URL[B64URL.indexOf(sig.at(-1)!) ^ 1]!;
    const withSig = (x: string) => `${h}.${p}.${x}`;
    const spellings = [
      `${token}=`,
      `${token}==`,
      withSig(`${sig.slice(0, 9)}!${sig.slice(9)}`),
      withSig(`${sig.slice(0, 20)}\u00e9${sig.slice(20)}`),
      withSig(`${sig.slice(0, -1)}${last}`),
      withSig(`${sig.replaceAll('-', '+').replaceAll('_', '/')}=`),
    ];
    for (const t of spellings) {
      const res = await get(t);
      expect(res.statusCode, t).toBe(401);
      expect(res.json().error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('refuses leap seconds with a 400 naming the field, before anything is stored', async () => {
    // PostgreSQL reads the leap second as 2030-07-01T00:00:00Z, JavaScript as NaN: an inverted window.
    const inverted = window('2030-07-01T00:00:30Z', '2030-06-30T23:59:60Z');
    const leap = await post('/v1/admin/campaigns', admin, { name: 'leap', ...inverted, budgetMinor: 5 });
    expect(leap.status).toBe(400);
    expect(leap.json).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    expect(message(leap)).toMatch(/^body\/endsAt /);
    const campaignId = await campaign(admin);
    const offer = await post('/v1/admin/offers', admin, { ...offerIn(campaignId), ...inverted });
    expect(offer.status).toBe(400);
    expect(message(offer)).toMatch(/^body\/endsAt /);
    const range = await report(campaignId, '2030-06-30T23:59:60Z', '2030-07-02T00:00:00Z');
    expect(range.status).toBe(400);
    expect(range.json).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    expect(message(range)).toMatch(/^querystring\/from /);
  });

  it('reads every timestamp once, offsets included, and compares windows as instants', async () => {
    const campaignId = await campaign(admin);
    // +01 (no minutes) passes the format check but not Date.parse: 10:00+01 is 09:00Z, after 08:30Z.
    const offer = (startsAt: string, endsAt: string) =>
      post('/v1/admin/offers', admin, { ...offerIn(campaignId), ...window(startsAt, endsAt) });
    const inverted = await offer('2030-01-01T10:00:00+01', '2030-01-01T08:30:00Z');
    expect(inverted.status).toBe(400);
    expect(message(inverted)).toMatch(/endsAt/);
    const ok = await offer('2030-01-01T10:00:00+01', '2030-01-01 09:30:00z');
    expect(ok.status).toBe(201);
    expect(ok.json).toMatchObject(window('2030-01-01T09:00:00.000Z', '2030-01-01T09:30:00.000Z'));
    // PostgreSQL has no year 0.
    const yearZero = await report(campaignId, '0000-12-31T00:00:00Z', '0001-01-02T00:00:00Z');
    expect(yearZero.status).toBe(400);
    expect(message(yearZero)).toMatch(/^querystring\/from /);
    // Digits past the millisecond are cut before windows are compared, so this one is empty
    // (PostgreSQL alone would have read two different instants).
    const micro = window('2030-01-01T00:00:00.0001Z', '2030-01-01T00:00:00.0002Z');
    const sub = await post('/v1/admin/campaigns', admin, { name: 'us', ...micro, budgetMinor: 5 });
    expect(sub.status).toBe(400);
    expect(message(sub)).toMatch(/endsAt/);
  });

  it('answers URL errors, unknown routes and bad bodies in our error shape', async () => {
    const auth = { authorization: `Bearer ${admin}` };
    const json = { 'content-type': 'application/json' };
    type Method = 'GET' | 'POST' | 'OPTIONS' | 'DELETE';
    type Case = { method: Method; url: string; status: number; payload?: string; headers?: object };
    const cases: Case[] = [
      { method: 'GET', url: '/v1/users/%ff/decisions', status: 400 },
      { method: 'GET', url: `/v1/users/${'x'.repeat(1000)}/decisions`, status: 414 },
      { method: 'GET', url: '/v1/nowhere', status: 404 },
      { method: 'OPTIONS', url: '/v1/nowhere', status: 404 },
      { method: 'DELETE', url: '/v1/admin/campaigns', status: 404 },
      { method: 'POST', url: '/v1/admin/campaigns', status: 400, payload: '{"name":', headers: json },
      { method: 'POST', url: '/v1/admin/campaigns', status: 400, payload: '{"__proto__":{"x":1}}', headers: json },
      { method: 'POST', url: '/v1/admin/campaigns', status: 415, payload: 'x', headers: { 'content-type': 'text/x' } },
    ];
    for (const c of cases) {
      const where = `${c.method} ${c.url.slice(0, 40)}`;
      const payload = c.payload ? { payload: c.payload } : {};
      const res = await s.app.inject({ method: c.method, url: c.url, headers: { ...auth, ...c.headers }, ...payload });
      expect(res.statusCode, where).toBe(c.status);
      expectOurShape(res.statusCode, res.body, where);
    }
    const head = await s.app.inject({ method: 'HEAD', url: '/v1/nowhere' });
    expect(head.statusCode).toBe(404);
    expect(head.headers['content-type']).toMatch(/^application\/json/);
    // A user id the schema allows (128 characters) is routed, not refused as too long.
    const longId = await s.app.inject({ method: 'GET', url: `/v1/users/${'u'.repeat(128)}/decisions`, headers: auth });
    expect(longId.statusCode).toBe(200);
    const tooLong = await s.app.inject({ method: 'GET', url: `/v1/users/${'u'.repeat(129)}/decisions`, headers: auth });
    expect(tooLong.statusCode).toBe(400);
    expectOurShape(tooLong.statusCode, tooLong.body, 'user id of 129 characters');
  });

  it('answers what the HTTP parser refuses in our error shape too (real socket)', async () => {
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = s.app.server.address() as AddressInfo;
    const get = (path: string, headers = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\n${headers}\r\n`;
    const cases = [
      { what: 'over-long URL', status: 414, bytes: get(`/v1/users/${'a'.repeat(20_000)}/decisions`) },
      { what: 'over-long header', status: 431, bytes: get('/v1/nowhere', `X-Pad: ${'b'.repeat(20_000)}\r\n`) },
      { what: 'not HTTP', status: 400, bytes: 'NOT HTTP AT ALL\r\n\r\n' },
      { what: 'bad %-encoding', status: 400, bytes: get('/v1/users/%E0%A4%A/decisions', 'Connection: close\r\n') },
    ];
    for (const c of cases) {
      const res = await rawRequest(port, c.bytes);
      expect(res.status, c.what).toBe(c.status);
      expectOurShape(res.status, res.body, c.what);
    }
  });

  it('four eyes: neither the author nor the submitter approves, on offers and campaigns', async () => {
    const [author, submitter, approver] = await Promise.all([
      s.token('marketer', 'td-mia'),
      s.token('marketer', 'td-max'),
      s.token('approver', 'td-ann'),
    ]);
    // The author holding another token for the same person (sub) is still the author.
    const authorAgain = await Promise.all([s.token('approver', 'td-mia'), s.token('admin', 'td-mia')]);
    const campaignId = await campaign(author);
    expect((await post(`/v1/admin/campaigns/${campaignId}/submit`, submitter)).status).toBe(200);
    for (const t of authorAgain) {
      const own = await post(`/v1/admin/campaigns/${campaignId}/approve`, t);
      expect(own.status).toBe(403);
      expect(message(own)).toMatch(/author/);
    }
    expect((await post(`/v1/admin/campaigns/${campaignId}/approve`, approver)).status).toBe(200);

    const offerId = ((await post('/v1/admin/offers', author, offerIn(campaignId))).json as { offerId: string }).offerId;
    expect((await post(`/v1/admin/offers/${offerId}/submit`, submitter)).status).toBe(200);
    for (const t of authorAgain) expect((await post(`/v1/admin/offers/${offerId}/approve`, t)).status).toBe(403);
    expect((await post(`/v1/admin/offers/${offerId}/approve`, approver)).status).toBe(200);
    type Step = { to: string; actor: string };
    const got = (await s.call('GET', `/v1/admin/offers/${offerId}`, approver)).json as { history: Step[] };
    const trail = got.history.map((h) => `${h.to}:${h.actor}`);
    expect(trail).toEqual(['draft:td-mia', 'pending_approval:td-max', 'approved:td-ann']);
  });

  it('words refusals with the right article', async () => {
    const device = await s.token('device', 'td-phone');
    const needsAdmin = await s.call('GET', '/v1/users/someone/preferences', device);
    expect(needsAdmin.status).toBe(403);
    expect(message(needsAdmin)).toBe('this route needs an admin token');
    const approver = await s.token('approver', 'td-ann');
    const campaignId = await campaign(admin);
    await post(`/v1/admin/campaigns/${campaignId}/submit`, admin);
    await post(`/v1/admin/campaigns/${campaignId}/approve`, approver);
    const activate = await post(`/v1/admin/campaigns/${campaignId}/activate`, approver);
    expect(activate.status).toBe(403);
    expect(message(activate)).toBe('an approver cannot activate');
  });
});
