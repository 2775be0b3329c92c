import { describe, expect, it } from 'vitest';
import { authenticate, secretKey } from '../../gateway/auth.ts';
import { makeToken, parseTtl } from '../../cli/token.ts';
import { testConfig } from '../support/env.ts';

describe('nearcast token', () => {
  const config = testConfig();
  const key = secretKey(config.auth.tokenSecret);

  it('prints a token the gateway accepts, with the subject, role, merchants and lifetime asked for', async () => {
    const token = await makeToken(config, { user: 'shop-1', role: 'merchant', ttl: '2h', merchants: 'm-1, m-2' });
    expect(await authenticate(key, `Bearer ${token}`)).toMatchObject({
      userId: 'shop-1',
      role: 'merchant',
      merchants: ['m-1', 'm-2'],
    });
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
    expect(claims.exp - claims.iat).toBe(7200);
    expect(claims.iss).toBe('nearcast');
  });

  it('refuses what would make a useless token, saying why', async () => {
    await expect(makeToken(config, { user: 'a', role: 'king', ttl: '1h' })).rejects.toThrow(/one of device/);
    await expect(makeToken(config, { user: 'a', role: 'device', ttl: '1h', merchants: 'm' })).rejects.toThrow(
      /merchant tokens/,
    );
    for (const bad of ['0h', '1y', '400d', 'soon', '']) expect(() => parseTtl(bad), bad).toThrow(/--ttl/);
    expect(parseTtl('90s')).toBe(90);
    expect(parseTtl('30d')).toBe(30 * 86_400);
  });
});
