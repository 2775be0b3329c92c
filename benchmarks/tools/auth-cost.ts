// What a device token check costs per request, for FINDINGS.md: the gateway's
// own `authenticate` (jose over WebCrypto, the key imported on every call)
// against an HMAC-SHA256 check with node:crypto on a key object made once,
// and against a hit in a cache of already-verified tokens.
// Usage: tsx benchmarks/tools/auth-cost.ts [seconds]
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import { authenticate, secretKey, signToken } from '../../gateway/auth.ts';

const seconds = Number(process.argv[2] ?? 3);
const secret = 'bench-secret-'.padEnd(64, 'x');
const key = secretKey(secret);
const tokens = await Promise.all(
  Array.from({ length: 1000 }, (_, i) => signToken(key, { userId: `u${i}`, role: 'device' })),
);
const headers = tokens.map((t) => `Bearer ${t}`);

async function rate(name: string, check: (h: string) => unknown) {
  const end = Date.now() + seconds * 1000;
  let n = 0;
  while (Date.now() < end) {
    for (let i = 0; i < 1000; i++) await check(headers[i]!);
    n += 1000;
  }
  const us = (seconds * 1e6) / n;
  console.log(
    `${name.padEnd(44)} ${Math.round(n / seconds)
      .toLocaleString('en-US')
      .padStart(10)} /s  ${us.toFixed(1).padStart(6)} µs each`,
  );
}

const keyObject = createSecretKey(Buffer.from(secret));
function hmacVerify(h: string) {
  const t = h.slice(7);
  const dot = t.lastIndexOf('.');
  const mac = createHmac('sha256', keyObject).update(t.slice(0, dot)).digest();
  const sig = Buffer.from(t.slice(dot + 1), 'base64url');
  if (sig.length !== mac.length || !timingSafeEqual(sig, mac)) throw new Error('bad signature');
  return JSON.parse(Buffer.from(t.slice(t.indexOf('.') + 1, dot), 'base64url').toString()) as {
    sub: string;
    exp: number;
  };
}
const cache = new Map<string, { sub: string; exp: number }>();
function cachedVerify(h: string) {
  const hit = cache.get(h);
  if (hit && hit.exp * 1000 > Date.now()) return hit;
  const claims = hmacVerify(h);
  cache.set(h, claims);
  return claims;
}

await rate('gateway authenticate (jose, WebCrypto)', (h) => authenticate(key, h));
await rate('HMAC with node:crypto, key object made once', hmacVerify);
await rate('cache of verified tokens (hit)', cachedVerify);
