// A local stand-in for FCM's HTTP v1 API and Google's OAuth token endpoint,
// speaking their real protocol so the real firebase-admin SDK can be pointed
// at it: it checks the service account's signed JWT assertion, issues an
// access token, requires it on messages:send, validates the message and
// answers like FCM, including UNREGISTERED, QUOTA_EXCEEDED (429) and 503.
import { createServer, type Server } from 'node:https';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { EventEmitter } from 'node:events';
import { createPublicKey } from 'node:crypto';
import { jwtVerify } from 'jose';
import { createLocalTls } from './tls.ts';

export const FCM_HOSTS = ['fcm.googleapis.com', 'oauth2.googleapis.com'];
const PROJECT = 'nearcast-local';

export interface FcmMessage {
  token: string;
  data?: Record<string, string>;
  notification?: { title?: string; body?: string };
  android?: { ttl?: string; priority?: string };
  apns?: { headers?: Record<string, string> };
}

export interface ReceivedFcm {
  message: FcmMessage;
  receivedAt: number;
}

/** What FCM answers for a token; default success. */
export type FcmResponder = (token: string) => 'ok' | 'unregistered' | { status: 429 | 503; retryAfterSeconds?: number };

export class LocalFcmService extends EventEmitter {
  readonly received: ReceivedFcm[] = [];
  tokensIssued = 0;
  respond: FcmResponder = () => 'ok';
  private readonly accessTokens = new Set<string>();

  private constructor(
    private readonly server: Server,
    readonly caFile: string,
    readonly connectTo: string,
    readonly serviceAccountFile: string,
    private readonly publicKeyPem: string,
  ) {
    super();
  }

  static async start(): Promise<LocalFcmService> {
    const tls = createLocalTls(FCM_HOSTS);
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const serviceAccountFile = join(mkdtempSync(join(tmpdir(), 'nearcast-fcm-')), 'service-account.json');
    writeFileSync(
      serviceAccountFile,
      JSON.stringify({
        type: 'service_account',
        project_id: PROJECT,
        private_key_id: randomBytes(8).toString('hex'),
        private_key: privateKey,
        client_email: `push@${PROJECT}.iam.gserviceaccount.com`,
        token_uri: 'https://oauth2.googleapis.com/token',
      }),
    );
    const server = createServer({ key: tls.key, cert: tls.cert });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const svc = new LocalFcmService(
      server,
      tls.caFile,
      `127.0.0.1:${(server.address() as AddressInfo).port}`,
      serviceAccountFile,
      publicKey,
    );
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void svc
          .handle(
            req.headers.host ?? '',
            req.url ?? '',
            req.headers.authorization,
            Buffer.concat(chunks).toString('utf8'),
          )
          .then(({ status, body, headers }) => {
            res.writeHead(status, { 'content-type': 'application/json', ...headers });
            res.end(JSON.stringify(body));
          });
      });
    });
    return svc;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(
    host: string,
    url: string,
    auth: string | undefined,
    body: string,
  ): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    if (host.startsWith('oauth2.googleapis.com') && url === '/token') return this.token(body);
    const m = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(url);
    if (!host.startsWith('fcm.googleapis.com') || !m)
      return { status: 404, body: { error: { code: 404, message: 'not found', status: 'NOT_FOUND' } } };
    if (!auth?.startsWith('Bearer ') || !this.accessTokens.has(auth.slice(7)))
      return fcmError(401, 'UNAUTHENTICATED', 'THIRD_PARTY_AUTH_ERROR');
    if (m[1] !== PROJECT) return fcmError(403, 'PERMISSION_DENIED', 'SENDER_ID_MISMATCH');
    let message: FcmMessage;
    try {
      message = (JSON.parse(body) as { message: FcmMessage }).message;
      if (typeof message?.token !== 'string' || !message.token) throw new Error('no token');
    } catch {
      return fcmError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT');
    }
    const verdict = this.respond(message.token);
    if (verdict === 'unregistered') return fcmError(404, 'NOT_FOUND', 'UNREGISTERED');
    if (verdict !== 'ok') {
      const headers =
        verdict.retryAfterSeconds !== undefined ? { 'retry-after': String(verdict.retryAfterSeconds) } : undefined;
      return {
        ...fcmError(
          verdict.status,
          verdict.status === 429 ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE',
          verdict.status === 429 ? 'QUOTA_EXCEEDED' : 'UNAVAILABLE',
        ),
        ...(headers ? { headers } : {}),
      };
    }
    const received = { message, receivedAt: Date.now() };
    this.received.push(received);
    this.emit('message', received);
    return { status: 200, body: { name: `projects/${PROJECT}/messages/${randomUUID()}` } };
  }

  /** OAuth 2.0 JWT bearer grant (RFC 7523): the assertion must be signed by the service account's key. */
  private async token(body: string) {
    const form = new URLSearchParams(body);
    try {
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') throw new Error('grant');
      await jwtVerify(form.get('assertion') ?? '', createPublicKey(this.publicKeyPem), {
        audience: 'https://oauth2.googleapis.com/token',
      });
    } catch {
      return { status: 400, body: { error: 'invalid_grant' } };
    }
    const accessToken = randomBytes(24).toString('base64url');
    this.accessTokens.add(accessToken);
    this.tokensIssued++;
    return { status: 200, body: { access_token: accessToken, expires_in: 3600, token_type: 'Bearer' } };
  }
}

function fcmError(code: number, status: string, errorCode: string) {
  return {
    status: code,
    body: {
      error: {
        code,
        message: errorCode,
        status,
        details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }],
      },
    },
  };
}
