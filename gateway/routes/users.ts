// Per-user targeting data: preferences written by the data-science side,
// consent set by the phone itself, and the decision log ("why did I get this
// coupon, or why not") for marketers.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { NearcastError } from '../../pipeline/errors.ts';
import { DEFAULT_PREFERENCES, PreferenceStore } from '../../users/user-preferences.ts';
import { DecisionLog } from '../../users/decision-log.ts';
import { PushRegistrations } from '../../users/push-registrations.ts';
import { eraseUser } from '../../users/erase-user.ts';
import { auditSubject } from '../../users/erasure.ts';
import { topicNames } from '../../pipeline/kafka.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { PrivacyEvent } from '../../schemas/types.ts';
import { isValidTimeZone } from '../../pipeline/local-time.ts';
import type { GatewayContext } from '../context.ts';
import { principal, requireRole } from '../guard.ts';
import { ErrorReply } from '../schemas.ts';

const closed = { additionalProperties: false } as const;
const Minute = Type.Integer({ minimum: 0, maximum: 1439 });
const PreferencesBody = Type.Object(
  {
    interests: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 60 }), Type.Number({ minimum: 0, maximum: 1 }), {
        maxProperties: 100,
      }),
    ),
    segments: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 60 }), { maxItems: 100 })),
    consent: Type.Optional(Type.Boolean()),
    quietHours: Type.Optional(
      Type.Union([Type.Null(), Type.Object({ startMinute: Minute, endMinute: Minute }, closed)]),
    ),
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    locale: Type.Optional(Type.String({ minLength: 2, maxLength: 35 })),
  },
  closed,
);
type PreferencesBody = Static<typeof PreferencesBody>;
const UserParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

export function userRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const prefs = new PreferenceStore(ctx.redis, ctx.config.topics.prefix, ctx.changelog);
  const decisions = new DecisionLog(ctx.redis, ctx.config.topics.prefix);
  const registrations = new PushRegistrations(ctx.redis, ctx.config.topics.prefix, ctx.changelog);
  const privacyTopic = topicNames(ctx.config.topics.prefix).privacyEvents;
  const privacyCodec = () => ctx.codecs.forTopic<PrivacyEvent>(privacyTopic, TOPICS.privacyEvents.valueSchema);

  /** Privacy requests are recorded durably (Kafka acked) before they are answered. */
  // The audit log outlives erasure (3 years), so it names users by their erasure digest:
  // whoever holds an id can find its records; the log itself lists no ids.
  async function record(userId: string, kind: PrivacyEvent['kind'], requestedBy: string, detail = '') {
    const subject = auditSubject(userId);
    const by = requestedBy === userId ? subject : requestedBy;
    const event: PrivacyEvent = {
      eventId: randomUUID(),
      userId: subject,
      kind,
      requestedBy: by,
      detail,
      ts: ctx.now(),
    };
    const { encode } = await privacyCodec();
    await ctx.publisher.publish(privacyTopic, [{ key: subject, value: await encode(event) }]);
    return event;
  }

  /** Merges a partial update into what is stored, so live writers can set one field. */
  async function merge(userId: string, body: PreferencesBody) {
    if (body.timeZone !== undefined && !isValidTimeZone(body.timeZone))
      throw new NearcastError('VALIDATION_FAILED', `body/timeZone ${body.timeZone} is not an IANA time zone`);
    return prefs.update(userId, (current) => ({ ...(current ?? DEFAULT_PREFERENCES), ...body, updatedTs: ctx.now() }));
  }

  app.put<{ Params: Static<typeof UserParams>; Body: PreferencesBody }>(
    '/v1/users/:id/preferences',
    {
      onRequest: requireRole(ctx.key, 'admin'),
      schema: {
        summary: 'Set (merge) a user’s targeting preferences',
        params: UserParams,
        body: PreferencesBody,
        response: { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply },
      },
    },
    async (req) => merge(req.params.id, req.body),
  );

  app.get<{ Params: Static<typeof UserParams> }>(
    '/v1/users/:id/preferences',
    {
      onRequest: requireRole(ctx.key, 'admin'),
      schema: { summary: 'A user’s preferences (defaults when none were written)', params: UserParams },
    },
    async (req) => (await prefs.get(req.params.id)) ?? DEFAULT_PREFERENCES,
  );

  app.put<{ Body: { locationMarketing: boolean } }>(
    '/v1/me/consent',
    {
      onRequest: requireRole(ctx.key, 'device'),
      schema: {
        summary: 'The phone grants or withdraws consent to location-triggered coupons (effective within seconds)',
        body: Type.Object({ locationMarketing: Type.Boolean() }, closed),
        response: { 400: ErrorReply, 401: ErrorReply },
      },
    },
    async (req) => {
      const userId = principal(req).userId;
      const next = await merge(userId, { consent: req.body.locationMarketing });
      ctx.consent.note(userId, next.consent); // this instance refuses pings at once; the others hear it
      await record(userId, next.consent ? 'CONSENT_GIVEN' : 'CONSENT_WITHDRAWN', userId);
      return { locationMarketing: next.consent };
    },
  );

  app.get<{ Params: Static<typeof UserParams>; Querystring: { limit?: number } }>(
    '/v1/users/:id/decisions',
    {
      onRequest: requireRole(ctx.key, 'admin'),
      schema: {
        summary: 'Recent matcher decisions for a user, with the reason for every offer considered',
        params: UserParams,
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })) }),
      },
    },
    async (req) => ({ userId: req.params.id, decisions: await decisions.recent(req.params.id, req.query.limit ?? 20) }),
  );

  /** Erasure (users/erase-user.ts), then its record; a retry after a failure finishes what is left. */
  async function erase(userId: string, requestedBy: string) {
    const deps = {
      redis: ctx.redis,
      pool: ctx.pool,
      keyPrefix: ctx.config.topics.prefix,
      changelog: ctx.changelog,
      prefs,
      registrations,
      revocations: ctx.revocations,
      now: ctx.now,
    };
    const { rows, keys } = await eraseUser(deps, userId).catch((err: unknown) => {
      if (err instanceof NearcastError) throw err;
      const why = 'the erasure did not finish; repeat the request';
      throw new NearcastError('DEPENDENCY_UNAVAILABLE', why, { cause: err, retryAfterSeconds: 1 });
    });
    ctx.consent.note(userId, true); // nothing to refuse any more: the tokens are dead
    const event = await record(userId, 'ERASED', requestedBy, `${rows} rows pseudonymized, ${keys} keys removed`);
    return { userId, erasedAt: new Date(event.ts).toISOString(), eventId: event.eventId };
  }

  app.delete<{ Params: Static<typeof UserParams> }>(
    '/v1/users/:id',
    {
      onRequest: requireRole(ctx.key, 'admin'),
      schema: {
        summary: 'Erase a user for good: Redis keys, changelog records, tokens; accounting rows kept under a pseudonym',
        params: UserParams,
      },
    },
    async (req, reply) => reply.code(200).send(await erase(req.params.id, principal(req).userId)),
  );

  app.delete(
    '/v1/me',
    {
      onRequest: requireRole(ctx.key, 'device'),
      schema: { summary: 'The phone erases its own user (as DELETE /v1/users/{id}); this token dies with it' },
    },
    async (req, reply) => reply.code(200).send(await erase(principal(req).userId, principal(req).userId)),
  );

  app.post<{ Params: Static<typeof UserParams> }>(
    '/v1/users/:id/tokens/revoke',
    {
      onRequest: requireRole(ctx.key, 'admin'),
      schema: {
        summary: 'Void every token issued so far to this user or staff member (effective within a second)',
        params: UserParams,
      },
    },
    async (req) => ({
      subject: req.params.id,
      revokedBefore: new Date((await ctx.revocations.revokeAll(req.params.id)) * 1000).toISOString(),
    }),
  );

  app.post(
    '/v1/me/tokens/revoke',
    {
      onRequest: requireRole(ctx.key, 'device'),
      schema: { summary: 'Sign this user out everywhere: every token issued so far stops working' },
    },
    async (req) => ({
      subject: principal(req).userId,
      revokedBefore: new Date((await ctx.revocations.revokeAll(principal(req).userId)) * 1000).toISOString(),
    }),
  );
}
