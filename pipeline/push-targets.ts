// Which push endpoints nearcast will ever send to. A Web Push endpoint is a
// URL the phone hands us, so unchecked it would make the dispatcher open TLS
// connections wherever a client likes (SSRF): only the allow-listed push
// services are accepted, at registration and again at send time. Pure code.
import { isIP } from 'node:net';

/** One allow-list entry: an exact host or a `*.` suffix, and the port (443 unless named). */
export interface HostRule {
  host: string;
  wildcard: boolean;
  port: string;
}

/** The real browser push services (Chrome/FCM, Firefox/autopush, Safari/APNs, Edge/WNS). */
export const DEFAULT_PUSH_HOSTS = [
  'fcm.googleapis.com',
  'updates.push.services.mozilla.com',
  '*.push.services.mozilla.com',
  '*.push.apple.com',
  '*.notify.windows.com',
] as const;

export const MAX_ENDPOINT_LENGTH = 2048;
export const P256DH_BYTES = 65;
export const AUTH_BYTES = 16;
/** FCM registration tokens are about 150–250 characters of this alphabet; the bounds leave room. */
export const FCM_TOKEN = { minLength: 32, maxLength: 512, pattern: '^[A-Za-z0-9_:-]+$' } as const;

/** Parses `host`, `*.suffix`, `host:port`, `[v6]:port`; returns an error message for a bad entry. */
export function parseHostRule(entry: string): HostRule | string {
  const m = /^(\*\.)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(entry.trim());
  if (!m || Number(m[3] ?? 443) > 65535 || m[2]!.startsWith('.') || m[2]!.endsWith('.')) {
    return `"${entry}" is not host, *.suffix or host:port`;
  }
  // Canonical form as the WHATWG URL parser would print the host.
  let host: string;
  try {
    host = new URL(`https://${m[2]}`).hostname;
  } catch {
    return `"${entry}" is not a valid host`;
  }
  if (m[1] && isIpLiteral(host)) return `"${entry}": a wildcard needs a domain name`;
  return { host, wildcard: Boolean(m[1]), port: m[3] && m[3] !== '443' ? String(Number(m[3])) : '' };
}

export function isIpLiteral(hostname: string): boolean {
  return isIP(hostname.replace(/^\[|\]$/g, '')) !== 0;
}

/** Does this parsed URL's host and port belong to an allowed push service? */
export function hostAllowed(url: URL, rules: readonly HostRule[]): boolean {
  const host = url.hostname;
  return rules.some((r) => r.port === url.port && (r.wildcard ? host.endsWith(`.${r.host}`) : host === r.host));
}

/**
 * Checks a Web Push endpoint; returns the canonical URL (what is stored and
 * later sent to) or the reason it is refused. IP-literal hosts pass only when
 * the allow-list names that very address (local stand-ins in tests).
 */
export function checkEndpoint(endpoint: string, rules: readonly HostRule[]): { url: URL } | { reason: string } {
  if (endpoint.length > MAX_ENDPOINT_LENGTH) return { reason: `is longer than ${MAX_ENDPOINT_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return { reason: 'is not a valid URL' };
  }
  if (url.protocol !== 'https:') return { reason: 'must be an https URL' };
  if (!url.hostname) return { reason: 'must name a host' };
  if (url.username || url.password) return { reason: 'must not contain user information' };
  const literal = isIpLiteral(url.hostname);
  if (!hostAllowed(url, rules)) {
    const reason = literal
      ? 'must name a push service, not an IP address'
      : `host ${url.host} is not an accepted push service`;
    return { reason };
  }
  return { url };
}

/** Decoded byte length of a base64url string, or undefined when it is not base64url. */
export function base64urlBytes(s: string): number | undefined {
  const body = s.replace(/={1,2}$/, '');
  if (!/^[A-Za-z0-9_-]+$/.test(body) || body.length % 4 === 1) return undefined;
  return Math.floor((body.length * 3) / 4);
}

/** p256dh must be an uncompressed P-256 point (65 bytes), auth a 16-byte secret (RFC 8291). */
export function checkKeys(keys: { p256dh: string; auth: string }): string | undefined {
  if (base64urlBytes(keys.p256dh) !== P256DH_BYTES || Buffer.from(keys.p256dh, 'base64url')[0] !== 0x04) {
    return `subscription.keys.p256dh must be base64url of a ${P256DH_BYTES}-byte uncompressed P-256 public key`;
  }
  if (base64urlBytes(keys.auth) !== AUTH_BYTES) {
    return `subscription.keys.auth must be base64url of ${AUTH_BYTES} bytes`;
  }
  return undefined;
}
