// A local Web Push service that speaks the real protocol: it checks the VAPID
// authorization (RFC 8292), requires a TTL and aes128gcm content, decrypts the
// payload with the device's private key (RFC 8291) and answers like a push
// service would. Tests and the demo point the real web-push library at it.
import { createServer, type Server } from 'node:https';
import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { EventEmitter } from 'node:events';
import ece from 'http_ece';
import { importJWK, jwtVerify } from 'jose';
import { createLocalTls } from './tls.ts';
import { DEFAULT_PUSH_HOSTS } from '../../pipeline/push-targets.ts';

export interface LocalDevice {
  id: string;
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } };
}

export interface ReceivedPush {
  deviceId: string;
  payload: unknown;
  ttlSeconds: number;
  urgency: string | undefined;
  receivedAt: number;
}

/** What the service answers for a device; default 201 Created. Lets tests act out 410, 429 and 503. */
export type Responder = (deviceId: string) => { status: number; headers?: Record<string, string> } | undefined;

interface DeviceKeys {
  ecdh: ReturnType<typeof createECDH>;
  auth: string;
}

export class LocalWebPushService extends EventEmitter {
  readonly received: ReceivedPush[] = [];
  rejected = 0;
  respond: Responder = () => undefined;
  private readonly devices = new Map<string, DeviceKeys>();

  private constructor(
    private readonly server: Server,
    readonly caFile: string,
    readonly origin: string,
  ) {
    super();
  }

  static async start(): Promise<LocalWebPushService> {
    const tls = createLocalTls();
    const server = createServer({ key: tls.key, cert: tls.cert });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const svc = new LocalWebPushService(server, tls.caFile, origin);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void svc.handle(req.url ?? '', req.headers, Buffer.concat(chunks)).then(({ status, headers }) => {
          res.writeHead(status, headers ?? {});
          res.end();
        });
      });
    });
    return svc;
  }

  /** A new browser-like subscription: fresh P-256 key pair and auth secret. */
  newDevice(): LocalDevice {
    const id = randomUUID();
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16).toString('base64url');
    this.devices.set(id, { ecdh, auth });
    return {
      id,
      subscription: {
        endpoint: `${this.origin}/push/${id}`,
        keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth },
      },
    };
  }

  forget(deviceId: string): void {
    this.devices.delete(deviceId);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(url: string, headers: Record<string, string | string[] | undefined>, body: Buffer) {
    const deviceId = url.startsWith('/push/') ? url.slice(6) : '';
    const keys = this.devices.get(deviceId);
    if (!keys) return { status: 410 };
    const problem = (await this.checkVapid(headers['authorization'])) ?? checkHeaders(headers);
    if (problem) {
      this.rejected++;
      return problem;
    }
    const scripted = this.respond(deviceId);
    if (scripted) return scripted;
    let payload: unknown;
    try {
      payload = JSON.parse(
        ece.decrypt(body, { version: 'aes128gcm', privateKey: keys.ecdh, authSecret: keys.auth }).toString('utf8'),
      );
    } catch {
      this.rejected++;
      return { status: 400 };
    }
    const push: ReceivedPush = {
      deviceId,
      payload,
      ttlSeconds: Number(headers['ttl']),
      urgency: headers['urgency'] as string | undefined,
      receivedAt: Date.now(),
    };
    this.received.push(push);
    this.emit('push', push);
    return { status: 201, headers: { location: `${this.origin}/message/${randomUUID()}` } };
  }

  /** RFC 8292: `vapid t=<ES256 JWT>, k=<public key>`, audience = this origin, not expired. */
  private async checkVapid(header: string | string[] | undefined) {
    const m = typeof header === 'string' ? /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header) : null;
    if (!m) return { status: 401 };
    try {
      const raw = Buffer.from(m[2]!, 'base64url');
      const jwk = {
        kty: 'EC',
        crv: 'P-256',
        x: raw.subarray(1, 33).toString('base64url'),
        y: raw.subarray(33, 65).toString('base64url'),
      };
      const { payload } = await jwtVerify(m[1]!, await importJWK(jwk, 'ES256'), { audience: this.origin });
      if (!payload.exp || payload.exp > Date.now() / 1000 + 24 * 3600) return { status: 403 };
      return undefined;
    } catch {
      return { status: 403 };
    }
  }
}

function checkHeaders(h: Record<string, string | string[] | undefined>) {
  if (h['ttl'] === undefined || Number.isNaN(Number(h['ttl']))) return { status: 400 };
  if (h['content-encoding'] !== 'aes128gcm') return { status: 415 };
  const topic = h['topic'];
  if (topic !== undefined && (typeof topic !== 'string' || !/^[A-Za-z0-9_-]{1,32}$/.test(topic)))
    return { status: 400 }; // RFC 8030 §5.4
  return undefined;
}

/**
 * The settings that let nearcast accept and send to local push services at
 * these origins besides the real ones (on loopback, which production
 * refuses): tests, demo and benchmarks only.
 */
export function localPushEnv(...origins: string[]): Record<string, string> {
  const hosts = [...DEFAULT_PUSH_HOSTS, ...origins.map((o) => new URL(o).host)];
  return { NEARCAST_PUSH_ALLOWED_HOSTS: hosts.join(','), NEARCAST_PUSH_ALLOW_PRIVATE_ADDRESSES: 'true' };
}
