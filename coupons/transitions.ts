// Applying a lifecycle action to a campaign or an offer: lock the row, ask the
// pure rules, write the new status and the audit row, and enqueue whatever
// the matchers must now see — all in one transaction.
import { randomUUID } from 'node:crypto';
import { NearcastError } from '../pipeline/errors.ts';
import { query, withTx, type Db, type Tx } from './db.ts';
import { decideTransition, type Actor, type LifecycleAction, type LifecycleStatus } from './lifecycle.ts';
import { enqueueOffers } from './outbox.ts';

export type Entity = 'campaign' | 'offer';

export interface TransitionResult {
  id: string;
  from: LifecycleStatus;
  to: LifecycleStatus;
}

const TABLE = { campaign: 'campaigns', offer: 'offers' } as const;
const KEY = { campaign: 'campaign_id', offer: 'offer_id' } as const;

/** Partners may act only on what they own; staff on everything. */
export function assertOwner(actor: Actor, partnerId: string | null): void {
  if (actor.role === 'partner' && partnerId !== actor.id) throw new NearcastError('NOT_FOUND', 'no such item');
}

export async function transition(
  pool: Db,
  entity: Entity,
  id: string,
  action: LifecycleAction,
  actor: Actor,
  note: string | undefined,
  nowMs: number,
): Promise<TransitionResult> {
  return withTx(pool, async (tx) => {
    const {
      rows: [row],
    } = await tx.query(
      `SELECT status, created_by, submitted_by, partner_id${entity === 'offer' ? ', campaign_id' : ''}
       FROM ${TABLE[entity]} WHERE ${KEY[entity]} = $1 FOR UPDATE`,
      [id],
    );
    if (!row) throw new NearcastError('NOT_FOUND', `no such ${entity}`);
    assertOwner(actor, row.partner_id);
    const subject = { status: row.status, createdBy: row.created_by, submittedBy: row.submitted_by };
    const decision = decideTransition(subject, action, actor);
    if (!decision.ok) throw new NearcastError(decision.code, decision.reason);
    if (entity === 'offer' && action === 'activate') await assertCampaignAllowsActivation(tx, row.campaign_id);
    await tx.query(
      `UPDATE ${TABLE[entity]} SET status = $2, updated_at = now()${action === 'submit' ? ', submitted_by = $3' : ''} WHERE ${KEY[entity]} = $1`,
      action === 'submit' ? [id, decision.to, actor.id] : [id, decision.to],
    );
    await tx.query(
      'INSERT INTO lifecycle_transitions (entity, entity_id, from_status, to_status, actor, actor_role, note) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [entity, id, row.status, decision.to, actor.id, actor.role, note ?? null],
    );
    const offers =
      entity === 'offer'
        ? [id]
        : (await tx.query('SELECT offer_id FROM offers WHERE campaign_id = $1', [id])).rows.map(
            (r) => r.offer_id as string,
          );
    await enqueueOffers(tx, offers, nowMs);
    return { id, from: row.status, to: decision.to };
  });
}

async function assertCampaignAllowsActivation(tx: Tx, campaignId: string): Promise<void> {
  const {
    rows: [c],
  } = await tx.query('SELECT status FROM campaigns WHERE campaign_id = $1', [campaignId]);
  if (!c || !['approved', 'active', 'paused'].includes(c.status))
    throw new NearcastError(
      'CONFLICT',
      `the campaign is ${c?.status ?? 'missing'}: approve it before activating its offers`,
    );
}

export async function history(pool: Db, entity: Entity, id: string) {
  const { rows } = await query(
    pool,
    'SELECT from_status, to_status, actor, actor_role, note, at FROM lifecycle_transitions WHERE entity = $1 AND entity_id = $2 ORDER BY id',
    [entity, id],
  );
  return rows.map((r) => ({
    from: r.from_status,
    to: r.to_status,
    actor: r.actor,
    role: r.actor_role,
    note: r.note,
    at: (r.at as Date).toISOString(),
  }));
}

export const newId = (): string => randomUUID();
