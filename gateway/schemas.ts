// Request and response shapes, as JSON Schema: fastify validates them before a
// handler runs and the OpenAPI document is generated from the same objects.
import { Type, type Static } from '@sinclair/typebox';
import { FCM_TOKEN } from '../pipeline/push-targets.ts';

const closed = { additionalProperties: false } as const;

export const Ping = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90, description: 'WGS84 latitude in degrees' }),
    lng: Type.Number({ minimum: -180, maximum: 180, description: 'WGS84 longitude in degrees' }),
    accuracy: Type.Number({ minimum: 0, maximum: 100_000, description: 'Horizontal accuracy radius in metres' }),
    recordedAt: Type.String({ format: 'date-time', description: 'When the phone took the fix (RFC 3339)' }),
  },
  closed,
);
export type Ping = Static<typeof Ping>;

export const pingBody = (maxPings: number) =>
  Type.Union([Ping, Type.Object({ pings: Type.Array(Ping, { minItems: 1, maxItems: maxPings }) }, closed)], {
    description: 'One ping, or a batch of pings under `pings`',
  });

export const PingAccepted = Type.Object({ accepted: Type.Integer(), pingIds: Type.Array(Type.String()) });

export const PushRegistrationBody = Type.Union([
  Type.Object(
    {
      type: Type.Literal('webpush'),
      subscription: Type.Object(
        {
          endpoint: Type.String({ format: 'uri', pattern: '^https://', maxLength: 2048 }),
          expirationTime: Type.Optional(Type.Union([Type.Null(), Type.Number()])),
          keys: Type.Object(
            {
              p256dh: Type.String({ minLength: 80, maxLength: 100 }),
              auth: Type.String({ minLength: 16, maxLength: 32 }),
            },
            closed,
          ),
        },
        closed,
      ),
    },
    closed,
  ),
  // FCM tokens: bounded length and alphabet (pipeline/push-targets.ts); their host is FCM's own, fixed by the SDK.
  Type.Object({ type: Type.Literal('fcm'), token: Type.String({ ...FCM_TOKEN }) }, closed),
]);
export type PushRegistrationBody = Static<typeof PushRegistrationBody>;

export const Circle = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lng: Type.Number({ minimum: -180, maximum: 180 }),
    radiusM: Type.Number({ minimum: 10, maximum: 10_000 }),
  },
  closed,
);

export const OfferBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 120 }),
    body: Type.Optional(Type.String({ maxLength: 1000 })),
    category: Type.Optional(Type.String({ minLength: 1, maxLength: 60 })),
    circles: Type.Array(Circle, { minItems: 1, maxItems: 50 }),
    startsAt: Type.Optional(Type.String({ format: 'date-time' })),
    endsAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  closed,
);
export type OfferBody = Static<typeof OfferBody>;

export const ErrorReply = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});
