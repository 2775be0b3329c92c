import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../pipeline/config.ts';
import { authenticate, secretKey, signToken } from '../../gateway/auth.ts';

const SECRET = 'x'.repeat(32);

describe('loadConfig', () => {
  it('applies defaults for the local stack', () => {
    const c = loadConfig({ NEARCAST_TOKEN_SECRET: SECRET });
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(c.topics.locationRetentionMs).toBe(24 * 3_600_000);
    expect(c.push.vapid).toBeUndefined();
  });

  it('fails with one message naming every bad variable', () => {
    expect(() => loadConfig({ NEARCAST_TOKEN_SECRET: 'short', NEARCAST_GATEWAY_PORT: 'http' })).toThrow(
      /NEARCAST_TOKEN_SECRET: must be at least 32 characters[\s\S]*NEARCAST_GATEWAY_PORT/,
    );
  });
});

describe('tokens', () => {
  const key = secretKey(SECRET);

  it('round-trips a device token to its user', async () => {
    const t = await signToken(key, { userId: 'u-1', role: 'device' });
    await expect(authenticate(key, `Bearer ${t}`)).resolves.toMatchObject({
      userId: 'u-1',
      role: 'device',
      issuedAt: expect.any(Number),
    });
  });

  it('rejects missing, forged, foreign and expired tokens as UNAUTHENTICATED', async () => {
    const other = await signToken(secretKey('y'.repeat(32)), { userId: 'u-1', role: 'device' });
    const expired = await signToken(key, { userId: 'u-1', role: 'device' }, -10);
    const good = await signToken(key, { userId: 'u-1', role: 'device' });
    const tampered = good.slice(0, -3) + (good.endsWith('AAA') ? 'BBB' : 'AAA');
    for (const h of [undefined, 'Basic abc', `Bearer ${other}`, `Bearer ${expired}`, `Bearer ${tampered}`]) {
      await expect(authenticate(key, h)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    }
  });
});

describe('mounted secrets', () => {
  it('reads NEARCAST_X from the file named by NEARCAST_X_FILE, and says which file it cannot read', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'nc-')), 'secret');
    writeFileSync(file, 's'.repeat(40) + '\n');
    expect(loadConfig({ NEARCAST_TOKEN_SECRET_FILE: file }).auth.tokenSecret).toBe('s'.repeat(40));
    expect(() => loadConfig({ NEARCAST_TOKEN_SECRET_FILE: '/nope/secret' })).toThrow(
      /NEARCAST_TOKEN_SECRET_FILE: cannot read \/nope\/secret \(ENOENT\)/,
    );
  });
});

describe('token verification details', () => {
  const key = secretKey('k'.repeat(32));
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const forge = async (header: object, claims: object) => {
    const { createHmac } = await import('node:crypto');
    const hp = `${b64(header)}.${b64(claims)}`;
    return `${hp}.${createHmac('sha256', Buffer.from(key)).update(hp).digest('base64url')}`;
  };
  const now = Math.floor(Date.now() / 1000);

  it('accepts only HS256 from our issuer with a subject, a known role and a future expiry', async () => {
    const good = { iss: 'nearcast', sub: 'u', role: 'device', exp: now + 60, iat: now };
    await expect(authenticate(key, `Bearer ${await forge({ alg: 'HS256' }, good)}`)).resolves.toMatchObject({
      userId: 'u',
    });
    for (const [h, c] of [
      [{ alg: 'HS512' }, good],
      [{ alg: 'none' }, good],
      [{ alg: 'HS256' }, { ...good, iss: 'evil' }],
      [{ alg: 'HS256' }, { ...good, role: 'root' }],
      [{ alg: 'HS256' }, { ...good, sub: '' }],
      [{ alg: 'HS256' }, { ...good, exp: undefined }],
      [{ alg: 'HS256' }, { ...good, nbf: now + 600 }],
    ] as const) {
      await expect(authenticate(key, `Bearer ${await forge(h, c)}`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    }
  });

  it('accepts each token in its canonical base64url spelling only', async () => {
    const good = { iss: 'nearcast', sub: 'u', role: 'device', exp: now + 60, iat: now };
    const t = await forge({ alg: 'HS256' }, good);
    const [h, p, sig] = t.split('.') as [string, string, string];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(sig.at(-1)!) ^ 1]; // same bytes: only unused low bits differ
    const sign = (hp: string) => `${hp}.${createHmac('sha256', Buffer.from(key)).update(hp).digest('base64url')}`;
    const withSig = (s: string) => `${h}.${p}.${s}`;
    for (const bad of [
      `${t}=`,
      withSig(`${sig.slice(0, 5)}.${sig.slice(5)}`),
      withSig(`${sig.slice(0, 5)}!${sig.slice(5)}`),
      withSig(`${sig.slice(0, -1)}${sibling}`),
      withSig(`${sig}AA`),
      withSig(sig.slice(0, -3)),
      withSig(`A${sig}`),
      sign(`${h}.${p}=`),
      sign(`${h}.${p}A`),
      sign(`${h}=.${p}`),
    ]) {
      await expect(authenticate(key, `Bearer ${bad}`), bad).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    await expect(authenticate(key, `Bearer ${t}`)).resolves.toMatchObject({ userId: 'u' });
  });

  it('still honours expiry for a token it has already verified', async () => {
    const t = await signToken(key, { userId: 'u', role: 'device' }, 60);
    await expect(authenticate(key, `Bearer ${t}`)).resolves.toMatchObject({ userId: 'u' });
    await expect(authenticate(key, `Bearer ${t}`, Date.now() + 61_000)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });
});
