// Web Push endpoints and keys as the registration route and the dispatcher check them.
import { describe, expect, it } from 'vitest';
import { createECDH, randomBytes } from 'node:crypto';
import { checkEndpoint, checkKeys, DEFAULT_PUSH_HOSTS, parseHostRule } from '../../pipeline/push-targets.ts';
import type { HostRule } from '../../pipeline/push-targets.ts';
import { loadConfig } from '../../pipeline/config.ts';

const rules = (entries: readonly string[]) => entries.map((e) => parseHostRule(e) as HostRule);
const defaults = rules(DEFAULT_PUSH_HOSTS);
const accepted = (endpoint: string, r = defaults) => 'url' in checkEndpoint(endpoint, r);

describe('push endpoint checks', () => {
  it('accepts the real push services', () => {
    for (const ok of [
      'https://fcm.googleapis.com/fcm/send/abc:APA91b',
      'https://updates.push.services.mozilla.com/wpush/v2/gAAAA',
      'https://web.push.apple.com/QGx',
      'https://wns2-par02p.notify.windows.com/w/?token=abc',
      'https://FCM.googleapis.com:443/fcm/send/x',
    ])
      expect(accepted(ok), ok).toBe(true);
  });

  it('refuses internal addresses, other hosts and malformed URLs', () => {
    for (const bad of [
      'https://',
      'https:///x',
      'http://fcm.googleapis.com/fcm/send/x',
      'https://127.0.0.1/x',
      'https://10.0.0.1/x',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/x',
      'https://2130706433/x',
      'https://0x7f.1/x',
      'https://user:pw@fcm.googleapis.com/x',
      'https://fcm.googleapis.com:8443/x',
      'https://fcm.googleapis.com.evil.test/x',
      'https://evilfcm.googleapis.com/x',
      'https://push.apple.com/x',
      'https://notify.windows.com.evil/x',
      'https://evil.example/fcm.googleapis.com',
      'ftp://fcm.googleapis.com/x',
      'not a url',
      `https://fcm.googleapis.com/${'x'.repeat(2100)}`,
    ])
      expect(accepted(bad), bad).toBe(false);
    const reason = 'must name a push service, not an IP address';
    expect(checkEndpoint('https://127.0.0.1/x', defaults)).toEqual({ reason });
  });

  it('lets an allow-list name a local stand-in by address and port, and nothing else there', () => {
    const local = rules(['127.0.0.1:4433']);
    expect(accepted('https://127.0.0.1:4433/push/1', local)).toBe(true);
    expect(accepted('https://127.0.0.1:4434/push/1', local)).toBe(false);
    expect(accepted('https://127.0.0.1/push/1', local)).toBe(false);
    expect(accepted('https://fcm.googleapis.com/x', local)).toBe(false);
  });

  it('parses allow-list entries and refuses bad ones at start-up', () => {
    expect(parseHostRule('*.Push.Apple.com')).toEqual({ host: 'push.apple.com', wildcard: true, port: '' });
    expect(parseHostRule('[::1]:8443')).toEqual({ host: '[::1]', wildcard: false, port: '8443' });
    for (const bad of ['*.127.0.0.1', 'a b', 'host:99999', 'https://x', '*.']) {
      expect(typeof parseHostRule(bad), bad).toBe('string');
    }
    const env = { NEARCAST_TOKEN_SECRET: 'x'.repeat(32), NEARCAST_PUSH_ALLOWED_HOSTS: 'ok.example,a b' };
    expect(() => loadConfig(env)).toThrow(/NEARCAST_PUSH_ALLOWED_HOSTS/);
    expect(loadConfig({ NEARCAST_TOKEN_SECRET: 'x'.repeat(32) }).push.allowedHosts).toEqual(defaults);
  });

  it('wants p256dh as a 65-byte uncompressed point and auth as 16 bytes, base64url', () => {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const p256dh = ecdh.getPublicKey().toString('base64url');
    const auth = randomBytes(16).toString('base64url');
    expect(checkKeys({ p256dh, auth })).toBeUndefined();
    expect(checkKeys({ p256dh: `${p256dh}=`, auth: `${auth}==` })).toBeUndefined();
    expect(checkKeys({ p256dh: 'a'.repeat(87), auth })).toMatch(/p256dh/);
    expect(checkKeys({ p256dh: ecdh.getPublicKey('base64url', 'compressed'), auth })).toMatch(/p256dh/);
    expect(checkKeys({ p256dh: p256dh.replace(/.$/, '+'), auth })).toMatch(/p256dh/);
    expect(checkKeys({ p256dh, auth: randomBytes(17).toString('base64url') })).toMatch(/auth/);
    expect(checkKeys({ p256dh, auth: 'b'.repeat(21) + '!' })).toMatch(/auth/);
  });
});
