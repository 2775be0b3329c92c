// JSON Schemas of the coupon API (campaigns, offers, claims, redemptions,
// reports). Bodies are closed: an unknown field is a 400.
import { Type, type Static } from '@sinclair/typebox';
import { NearcastError } from '../../pipeline/errors.ts';
import { Circle } from '../schemas.ts';

const closed = { additionalProperties: false } as const;
const Name = (max = 120) => Type.String({ minLength: 1, maxLength: max });
const Minor = Type.Integer({ minimum: 0, maximum: 1e12, description: 'Money in minor units (cents)' });
const Ids = Type.Array(Name(64), { maxItems: 100 });
/**
 * Hard bound on one purchase (10^10 minor units: 100 million in a two-decimal currency), whatever the
 * offer says: an amount beyond it is a typo or an attack, and stays far inside exact integer arithmetic.
 */
export const MAX_PURCHASE_MINOR = 1e10;
const PurchaseMinor = Type.Integer({ minimum: 0, maximum: MAX_PURCHASE_MINOR, description: 'Purchase in minor units' });
const Bound = (description: string) =>
  Type.Optional(Type.Union([Type.Null(), Type.Integer({ minimum: 1, maximum: MAX_PURCHASE_MINOR, description })]));

export const CampaignBody = Type.Object(
  {
    name: Name(),
    startsAt: Type.String({ format: 'date-time' }),
    endsAt: Type.String({ format: 'date-time' }),
    budgetMinor: Minor,
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
  },
  closed,
);
export type CampaignBody = Static<typeof CampaignBody>;

const Point = Type.Object(
  { lat: Type.Number({ minimum: -90, maximum: 90 }), lng: Type.Number({ minimum: -180, maximum: 180 }) },
  closed,
);
const Ring = Type.Array(Point, { minItems: 3, maxItems: 2000 });
const Polygon = Type.Object({ outer: Ring, holes: Type.Optional(Type.Array(Ring, { maxItems: 20 })) }, closed);
const OpeningHours = Type.Object(
  {
    timeZone: Name(64),
    windows: Type.Array(
      Type.Object(
        {
          day: Type.Integer({ minimum: 0, maximum: 6 }),
          openMinute: Type.Integer({ minimum: 0, maximum: 1439 }),
          closeMinute: Type.Integer({ minimum: 1, maximum: 2880 }),
        },
        closed,
      ),
      { minItems: 1, maxItems: 50 },
    ),
  },
  closed,
);
const Reward = Type.Object(
  {
    type: Type.Union([Type.Literal('cashback'), Type.Literal('discount')]),
    percent: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
    fixedMinor: Type.Optional(Type.Integer({ minimum: 1, maximum: 1e9 })),
    maxMinor: Type.Optional(Type.Integer({ minimum: 1, maximum: 1e9 })),
  },
  closed,
);
const Caps = Type.Object(
  {
    maxTotal: Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      description: 'Units in the pool: at most this many claims hold or consumed a unit at once',
    }),
    maxPerUser: Type.Optional(Type.Union([Type.Null(), Type.Integer({ minimum: 1, maximum: 1_000_000 })])),
    maxPerUserPerDay: Type.Optional(Type.Union([Type.Null(), Type.Integer({ minimum: 1, maximum: 1_000_000 })])),
    onePerUserPerDay: Type.Optional(Type.Boolean({ description: 'Refuse when the user claimed any coupon today' })),
  },
  closed,
);

const offerFields = {
  title: Name(),
  description: Type.Optional(Type.String({ maxLength: 1000 })),
  category: Type.Optional(Name(60)),
  merchantIds: Type.Optional(Ids),
  timeZone: Type.Optional(Name(64)),
  circles: Type.Optional(Type.Array(Circle, { maxItems: 50 })),
  polygons: Type.Optional(Type.Array(Polygon, { maxItems: 20 })),
  openingHours: Type.Optional(Type.Union([Type.Null(), OpeningHours])),
  startsAt: Type.Optional(Type.Union([Type.Null(), Type.String({ format: 'date-time' })])),
  endsAt: Type.Optional(Type.Union([Type.Null(), Type.String({ format: 'date-time' })])),
  segments: Type.Optional(Ids),
  interests: Type.Optional(Ids),
  dwellSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
  priority: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000 })),
  eligibility: Type.Optional(
    Type.Object(
      { minSpendMinor: Type.Optional(Minor), merchants: Type.Optional(Ids), categories: Type.Optional(Ids) },
      closed,
    ),
  ),
  reward: Reward,
  caps: Caps,
  claimTtlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
  budgetMinor: Type.Optional(Type.Union([Type.Null(), Minor])),
  maxPurchaseMinor: Bound('A purchase above this is refused (422), not counted up to it'),
  maxRewardMinor: Bound('No redemption earns more; required for a percent reward unless reward.maxMinor is set'),
};

export const OfferBody = Type.Object({ campaignId: Type.String({ format: 'uuid' }), ...offerFields }, closed);
export type OfferBody = Static<typeof OfferBody>;
export const OfferPatch = Type.Partial(Type.Object(offerFields, closed), closed);
export type OfferPatch = Static<typeof OfferPatch>;

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
export type IdParams = Static<typeof IdParams>;
export const ActionParams = Type.Object({
  id: Type.String({ format: 'uuid' }),
  action: Type.Union(['submit', 'approve', 'reject', 'activate', 'pause', 'resume', 'end'].map((a) => Type.Literal(a))),
});
/**
 * The optional `{ note }` of a lifecycle action or `{ reason }` of a reversal.
 * Validated by hand: fastify cannot declare a body optional, and clients rightly send these POSTs without one.
 */
export function optionalText(body: unknown, field: 'note' | 'reason'): string | undefined {
  if (body === undefined || body === null) return undefined;
  const ok = typeof body === 'object' && !Array.isArray(body) && Object.keys(body).every((k) => k === field);
  const value = ok ? (body as Record<string, unknown>)[field] : undefined;
  if (!ok || (value !== undefined && (typeof value !== 'string' || value.length > 500))) {
    throw new NearcastError('VALIDATION_FAILED', `body may only carry ${field} (a string of at most 500 characters)`);
  }
  return value as string | undefined;
}

export const Paging = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
};

export const ReportQuery = Type.Object({
  granularity: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week')])),
  tz: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'IANA time zone the days and weeks are counted in (default UTC)',
    }),
  ),
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
});
export type ReportQuery = Static<typeof ReportQuery>;

export const CodeParams = Type.Object({ code: Type.String({ pattern: '^[0-9]{1,19}$' }) });
export const PurchaseBody = Type.Object(
  {
    code: Type.String({
      pattern: '^(nearcast:v1:)?[0-9]{1,19}$',
      description: 'The redemption code a claim returned, or its qr payload as scanned',
    }),
    amountMinor: PurchaseMinor,
    merchantId: Name(64),
    category: Type.Optional(Name(60)),
  },
  closed,
);
export type PurchaseBody = Static<typeof PurchaseBody>;
