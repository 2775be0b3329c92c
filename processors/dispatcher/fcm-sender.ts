// FCM adapter: firebase-admin (HTTP v1) sending up to 500 messages per
// sendEach call. For local stand-ins (tests, demo, benchmarks) all Google
// traffic can be sent to one address over a custom agent; that path needs the
// SDK's HTTP/1.1 transport, since its HTTP/2 transport ignores agents.
import { Agent } from 'node:https';
import { connect, type ConnectionOptions } from 'node:tls';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { cert, initializeApp, deleteApp, type App } from 'firebase-admin/app';
import { getMessaging, type Message } from 'firebase-admin/messaging';
import { fcmErrorStatus } from './messages.ts';
import type { SendResult } from './webpush-sender.ts';

export const FCM_BATCH_LIMIT = 500;

export interface FcmOptions {
  serviceAccountFile: string;
  /** host:port that every Google host is connected to instead (a local stand-in). */
  connectTo: string | undefined;
  caFile: string | undefined;
}

export interface FcmSender {
  send(messages: Message[]): Promise<SendResult[]>;
  close(): Promise<void>;
}

export function createFcmSender(o: FcmOptions): FcmSender {
  const agent = o.connectTo ? redirectingAgent(o.connectTo, o.caFile) : new Agent({ keepAlive: true });
  const app: App = initializeApp(
    { credential: cert(o.serviceAccountFile, agent), httpAgent: agent },
    `nearcast-${randomUUID()}`,
  );
  const messaging = getMessaging(app);
  if (o.connectTo) messaging.enableLegacyHttpTransport();
  return {
    async send(messages) {
      const out: SendResult[] = [];
      for (let i = 0; i < messages.length; i += FCM_BATCH_LIMIT) {
        const chunk = messages.slice(i, i + FCM_BATCH_LIMIT);
        try {
          const batch = await messaging.sendEach(chunk);
          for (const r of batch.responses) {
            out.push(
              r.success
                ? { status: 200, retryAfter: undefined }
                : { status: fcmErrorStatus(r.error?.code), retryAfter: undefined, error: r.error?.code },
            );
          }
        } catch (err) {
          // The whole call failed (credentials, network): every message in it is retriable.
          for (let k = 0; k < chunk.length; k++)
            out.push({ status: undefined, retryAfter: undefined, error: (err as Error).message });
        }
      }
      return out;
    },
    close: () => deleteApp(app),
  };
}

/** An agent that connects every host to `connectTo`, keeping the real host name for TLS (SNI and certificate check). */
function redirectingAgent(connectTo: string, caFile: string | undefined): Agent {
  const [host, port] = connectTo.split(':');
  const agent = new Agent({ keepAlive: true, ...(caFile ? { ca: readFileSync(caFile) } : {}) });
  const patched = agent as unknown as { createConnection: (opts: ConnectionOptions) => unknown };
  patched.createConnection = (opts: ConnectionOptions) =>
    connect({ ...opts, host, port: Number(port), servername: opts.servername ?? opts.host });
  return agent;
}
