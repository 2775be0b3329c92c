// Campaign records: create, read, list. Status changes go through transitions.ts.
import { NearcastError } from '../pipeline/errors.ts';
import { query, withTx, type Db } from './db.ts';
import type { Actor } from './lifecycle.ts';
import { campaignFromRow, type Campaign, type CampaignInput } from './model.ts';
import { assertOwner, newId } from './transitions.ts';

export async function createCampaign(pool: Db, input: CampaignInput, actor: Actor): Promise<Campaign> {
  if (Date.parse(input.endsAt) <= Date.parse(input.startsAt))
    throw new NearcastError('VALIDATION_FAILED', 'body/endsAt must be after startsAt');
  return withTx(pool, async (tx) => {
    const id = newId();
    const {
      rows: [r],
    } = await tx.query(
      `INSERT INTO campaigns (campaign_id, name, starts_at, ends_at, budget_minor, currency, partner_id, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [
        id,
        input.name,
        input.startsAt,
        input.endsAt,
        input.budgetMinor,
        input.currency ?? 'EUR',
        actor.role === 'partner' ? actor.id : null,
        actor.id,
      ],
    );
    await tx.query(
      'INSERT INTO lifecycle_transitions (entity, entity_id, from_status, to_status, actor, actor_role) VALUES ($1, $2, $3, $4, $5, $6)',
      ['campaign', id, 'none', 'draft', actor.id, actor.role],
    );
    return campaignFromRow(r);
  });
}

export async function getCampaign(pool: Db, id: string, actor: Actor): Promise<Campaign> {
  const {
    rows: [r],
  } = await query(pool, 'SELECT * FROM campaigns WHERE campaign_id = $1', [id]);
  if (!r) throw new NearcastError('NOT_FOUND', 'no such campaign');
  assertOwner(actor, r['partner_id']);
  return campaignFromRow(r);
}

export async function listCampaigns(
  pool: Db,
  filter: { status?: string | undefined; limit: number; offset: number },
  actor: Actor,
): Promise<Campaign[]> {
  const { rows } = await query(
    pool,
    `SELECT * FROM campaigns WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR partner_id = $2)
     ORDER BY created_at DESC, campaign_id LIMIT $3 OFFSET $4`,
    [filter.status ?? null, actor.role === 'partner' ? actor.id : null, filter.limit, filter.offset],
  );
  return rows.map(campaignFromRow);
}
