// The HTTP floor: what the gateway's web stack costs with nothing behind it.
// The same fastify, body limit and JSON parsing as the gateway, answering
// POST /v1/locations with the same 202 body, but no token check, validation,
// rate limit, Avro or Kafka. The load generator drives it exactly as it
// drives the gateway, so the difference is what nearcast adds per request.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { send } from './ipc.ts';

const app = Fastify({ bodyLimit: 64 * 1024, return503OnClosing: true });
const PingAccepted = {
  type: 'object',
  properties: { accepted: { type: 'integer' }, pingIds: { type: 'array', items: { type: 'string' } } },
} as const;
app.post<{ Body: { pings?: unknown[] } }>(
  '/v1/locations',
  { schema: { response: { 202: PingAccepted } } },
  async (req, reply) => {
    const n = Array.isArray(req.body?.pings) ? req.body.pings.length : 1;
    return reply.code(202).send({ accepted: n, pingIds: Array.from({ length: n }, () => randomUUID()) });
  },
);
app.get('/metrics', async () => '');
const address = await app.listen({ host: '127.0.0.1', port: 0 });
send({ type: 'ready', baseUrl: address });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
process.on('disconnect', () => process.exit(0));
