// Offer records: create (with their geofences; claim units are generated
// later, as claims need them: claims.ts), read, list with filters and keyset
// paging, and edit while still a draft. Partners' offers are bounded by quotas.
import { NearcastError } from '../pipeline/errors.ts';
import { query, withTx, type Db, type Tx } from './db.ts';
import type { Actor } from './lifecycle.ts';
import { offerFromRow, type Offer, type OfferInput } from './model.ts';
import { assertPartnerQuota, DEFAULT_PARTNER_QUOTA, type PartnerQuota } from './quotas.ts';
import { isTimeZone } from './report-buckets.ts';
import { unboundedReward } from './rules.ts';
import { assertOwner, newId } from './transitions.ts';

export const MAX_UNITS_PER_OFFER = 1_000_000;

function validate(input: OfferInput): void {
  const fences = (input.circles?.length ?? 0) + (input.polygons?.length ?? 0);
  if (fences === 0) throw new NearcastError('VALIDATION_FAILED', 'body needs at least one circle or polygon');
  if (input.startsAt && input.endsAt && Date.parse(input.endsAt) <= Date.parse(input.startsAt))
    throw new NearcastError('VALIDATION_FAILED', 'body/endsAt must be after startsAt');
  if (input.timeZone !== undefined && !isTimeZone(input.timeZone))
    throw new NearcastError('VALIDATION_FAILED', `body/timeZone ${input.timeZone} is not an IANA time zone`);
  if (input.openingHours && !isTimeZone(input.openingHours.timeZone))
    throw new NearcastError('VALIDATION_FAILED', 'body/openingHours/timeZone is not an IANA time zone');
  const r = input.reward;
  if ((r.percent === undefined) === (r.fixedMinor === undefined))
    throw new NearcastError('VALIDATION_FAILED', 'body/reward needs exactly one of percent and fixedMinor');
  const unbounded = unboundedReward(r, input.maxRewardMinor);
  if (unbounded) throw new NearcastError('VALIDATION_FAILED', unbounded);
  if (input.caps.maxTotal > MAX_UNITS_PER_OFFER)
    throw new NearcastError('VALIDATION_FAILED', `body/caps/maxTotal must be at most ${MAX_UNITS_PER_OFFER}`);
}

async function writeOffer(
  tx: Tx,
  id: string,
  input: OfferInput,
  partnerId: string | null,
  createdBy: string,
): Promise<void> {
  const e = input.eligibility ?? {};
  await tx.query(
    `INSERT INTO offers (offer_id, campaign_id, partner_id, title, description, category, merchant_ids, time_zone, starts_at, ends_at, opening_hours,
        segments, interests, dwell_seconds, priority, min_spend_minor, eligible_merchants, eligible_categories, reward,
        max_total, max_per_user, max_per_user_per_day, one_per_user_per_day, claim_ttl_seconds, budget_minor,
        created_by, max_purchase_minor, max_reward_minor)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28)`,
    [
      id,
      input.campaignId,
      partnerId,
      input.title,
      input.description ?? '',
      input.category ?? 'general',
      input.merchantIds ?? [],
      input.timeZone ?? 'UTC',
      input.startsAt ?? null,
      input.endsAt ?? null,
      input.openingHours ? JSON.stringify(input.openingHours) : null,
      input.segments ?? [],
      input.interests ?? [],
      input.dwellSeconds ?? 0,
      input.priority ?? 0,
      e.minSpendMinor ?? 0,
      e.merchants ?? [],
      e.categories ?? [],
      JSON.stringify(input.reward),
      input.caps.maxTotal,
      input.caps.maxPerUser ?? null,
      input.caps.maxPerUserPerDay ?? null,
      input.caps.onePerUserPerDay ?? false,
      input.claimTtlSeconds ?? 300,
      input.budgetMinor ?? null,
      createdBy,
      input.maxPurchaseMinor ?? null,
      input.maxRewardMinor ?? null,
    ],
  );
  const fences = [
    ...(input.circles ?? []).map((s) => ['circle', s] as const),
    ...(input.polygons ?? []).map((s) => ['polygon', { outer: s.outer, holes: s.holes ?? [] }] as const),
  ];
  await tx.query(
    'INSERT INTO offer_geofences (offer_id, seq, kind, shape) SELECT $1, s.i, s.kind, s.shape FROM unnest($2::text[], $3::jsonb[]) WITH ORDINALITY AS s(kind, shape, i)',
    [id, fences.map((f) => f[0]), fences.map((f) => JSON.stringify(f[1]))],
  );
}

async function lockCampaignFor(tx: Tx, campaignId: string, actor: Actor): Promise<void> {
  const {
    rows: [c],
  } = await tx.query('SELECT status, partner_id FROM campaigns WHERE campaign_id = $1 FOR SHARE', [campaignId]);
  if (!c) throw new NearcastError('NOT_FOUND', 'no such campaign');
  assertOwner(actor, c.partner_id);
  if (c.status === 'ended') throw new NearcastError('CONFLICT', 'the campaign has ended');
}

export async function createOffer(
  pool: Db,
  input: OfferInput,
  actor: Actor,
  quota: PartnerQuota = DEFAULT_PARTNER_QUOTA,
): Promise<Offer> {
  validate(input);
  const id = newId();
  await withTx(pool, async (tx) => {
    await lockCampaignFor(tx, input.campaignId, actor);
    if (actor.role === 'partner') await assertPartnerQuota(tx, actor.id, input.caps.maxTotal, quota);
    await writeOffer(tx, id, input, actor.role === 'partner' ? actor.id : null, actor.id);
    await tx.query(
      'INSERT INTO lifecycle_transitions (entity, entity_id, from_status, to_status, actor, actor_role) VALUES ($1, $2, $3, $4, $5, $6)',
      ['offer', id, 'none', 'draft', actor.id, actor.role],
    );
  });
  return getOffer(pool, id, actor);
}

/** Replaces a draft offer's definition; anything past draft needs a new approval, so it is refused. */
export async function updateDraftOffer(
  pool: Db,
  id: string,
  patch: Partial<Omit<OfferInput, 'campaignId'>>,
  actor: Actor,
  quota: PartnerQuota = DEFAULT_PARTNER_QUOTA,
): Promise<Offer> {
  await withTx(pool, async (tx) => {
    const {
      rows: [r],
    } = await tx.query(
      'SELECT status, partner_id, created_by, campaign_id FROM offers WHERE offer_id = $1 FOR UPDATE',
      [id],
    );
    if (!r) throw new NearcastError('NOT_FOUND', 'no such offer');
    assertOwner(actor, r.partner_id);
    if (r.status !== 'draft')
      throw new NearcastError('CONFLICT', `only a draft can be edited (this offer is ${r.status})`);
    const current = await getOffer(tx, id, actor);
    const next: OfferInput = { ...toInput(current), ...patch, campaignId: current.campaignId };
    validate(next);
    if (r.partner_id) await assertPartnerQuota(tx, r.partner_id, next.caps.maxTotal, quota, id);
    await tx.query('DELETE FROM offers WHERE offer_id = $1', [id]);
    await writeOffer(tx, id, next, r.partner_id, r.created_by);
  });
  return getOffer(pool, id, actor);
}

function toInput(o: Offer): OfferInput {
  return {
    campaignId: o.campaignId,
    title: o.title,
    description: o.description,
    category: o.category,
    merchantIds: o.merchantIds,
    timeZone: o.timeZone,
    circles: o.circles,
    polygons: o.polygons,
    openingHours: o.openingHours,
    startsAt: o.startsAt,
    endsAt: o.endsAt,
    segments: o.segments,
    interests: o.interests,
    dwellSeconds: o.dwellSeconds,
    priority: o.priority,
    eligibility: o.eligibility,
    reward: o.reward,
    caps: o.caps,
    claimTtlSeconds: o.claimTtlSeconds,
    budgetMinor: o.budgetMinor,
    maxPurchaseMinor: o.maxPurchaseMinor,
    maxRewardMinor: o.maxRewardMinor,
  };
}

const SELECT_OFFER = `SELECT o.*, coalesce((SELECT json_agg(json_build_object('kind', g.kind, 'shape', g.shape) ORDER BY g.seq) FROM offer_geofences g WHERE g.offer_id = o.offer_id), '[]') AS geofences, o.created_at::text AS created_key FROM offers o`;

export async function getOffer(pool: Db | Tx, id: string, actor: Actor): Promise<Offer> {
  const {
    rows: [r],
  } = await query(pool as Db, `${SELECT_OFFER} WHERE o.offer_id = $1`, [id]).catch((err: { code?: string }) => {
    if (err.code === '22P02') return { rows: [] }; // not a uuid
    throw err;
  });
  if (!r) throw new NearcastError('NOT_FOUND', 'no such offer');
  assertOwner(actor, r.partner_id);
  return offerFromRow(r, r.geofences);
}

export interface OfferFilter {
  status?: string | undefined;
  campaignId?: string | undefined;
  category?: string | undefined;
  merchantId?: string | undefined;
  /** Only offers claimable now: active, in an active campaign, inside their period. */
  liveOnly?: boolean | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** Newest first, keyset-paged: `nextCursor` names the last row returned. */
export async function listOffers(
  pool: Db,
  f: OfferFilter,
  actor: Actor,
): Promise<{ offers: Offer[]; nextCursor: string | null }> {
  let after: [string, string] | null = null;
  if (f.cursor) {
    const parts = Buffer.from(f.cursor, 'base64url').toString('utf8').split('|');
    if (
      parts.length !== 2 ||
      !/^\d{4}-\d\d-\d\d [\d:.]+[+-]\d\d(:\d\d)?$/.test(parts[0]!) ||
      !/^[0-9a-f-]{36}$/.test(parts[1]!)
    )
      throw new NearcastError('VALIDATION_FAILED', 'querystring/cursor is not a cursor this API issued');
    after = [parts[0]!, parts[1]!];
  }
  const { rows } = await query(
    pool,
    `${SELECT_OFFER} JOIN campaigns c USING (campaign_id)
     WHERE ($1::text IS NULL OR o.status = $1) AND ($2::uuid IS NULL OR o.campaign_id = $2) AND ($3::text IS NULL OR o.category = $3)
       AND ($4::text IS NULL OR $4 = ANY(o.merchant_ids)) AND ($5::text IS NULL OR o.partner_id = $5)
       AND ($6::timestamptz IS NULL OR (o.created_at, o.offer_id) < ($6, $7::uuid))
       AND (NOT $8 OR (o.status = 'active' AND c.status = 'active' AND o.redeemed_count < o.max_total
            AND c.spent_minor < c.budget_minor AND (o.budget_minor IS NULL OR o.spent_minor < o.budget_minor)
            AND coalesce(o.starts_at, c.starts_at) <= now() AND now() < least(coalesce(o.ends_at, c.ends_at), c.ends_at) AND now() >= c.starts_at))
     ORDER BY o.created_at DESC, o.offer_id DESC LIMIT $9`,
    [
      f.status ?? null,
      f.campaignId ?? null,
      f.category ?? null,
      f.merchantId ?? null,
      actor.role === 'partner' ? actor.id : null,
      after?.[0] ?? null,
      after?.[1] ?? null,
      f.liveOnly ?? false,
      f.limit + 1,
    ],
  );
  const page = rows.slice(0, f.limit);
  const last = page.at(-1);
  const nextCursor =
    rows.length > f.limit && last
      ? Buffer.from(`${last['created_key']}|${last['offer_id']}`).toString('base64url')
      : null;
  return { offers: page.map((r) => offerFromRow(r, r['geofences'])), nextCursor };
}
