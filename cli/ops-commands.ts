// `nearcast stack …`, `tail-decisions` and `offers create`: thin wrappers over the stack
// scripts, the decision log in Redis, and the gateway's admin API.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fetchCall, launchOffers, type LaunchCampaign, type LaunchOffer } from '../scripts/launch-offers.ts';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { secretKey, signToken } from '../gateway/auth.ts';
import type { Config } from '../pipeline/config.ts';
import { DecisionLog, type LoggedDecision } from '../users/decision-log.ts';
import { CliError } from './context.ts';

export function stack(action: 'up' | 'down' | 'status', extra: string[] = []): number {
  const script = fileURLToPath(new URL(`../scripts/stack/${action}.sh`, import.meta.url));
  return spawnSync('bash', [script, ...extra], { stdio: 'inherit' }).status ?? 1;
}

function formatDecision(d: LoggedDecision): string {
  const offers = d.considered.map((c) => `${c.offerId} ${c.verdict} (${c.distanceM} m)`).join('; ');
  return `${new Date(d.decidedTs).toISOString()}  ${d.outcome.padEnd(14)} ping ${d.pingId}${offers ? `  ${offers}` : ''}`;
}

/** Prints a user's recent decisions (oldest first); with follow, polls for new ones until interrupted. */
export async function tailDecisions(
  config: Config,
  userId: string,
  o: { limit: number; follow: boolean },
): Promise<void> {
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect().catch((err: Error) => {
      throw new CliError(`cannot reach Redis at ${config.redisUrl}: ${err.message}`);
    });
    const log = new DecisionLog(redis, config.topics.prefix);
    const seen = new Set<string>();
    const print = async () => {
      const recent = (await log.recent(userId, o.limit)).reverse();
      for (const d of recent) {
        const id = `${d.pingId}:${d.decidedTs}`;
        if (seen.has(id)) continue;
        seen.add(id);
        console.log(formatDecision(d));
      }
    };
    await print();
    if (seen.size === 0) console.error(`no decisions recorded for user ${userId}${o.follow ? ' yet; waiting' : ''}`);
    while (o.follow) {
      await new Promise((r) => setTimeout(r, 1000));
      await print();
    }
  } finally {
    redis.disconnect();
  }
}

/** Posts each offer in a JSON file (one object or an array) to the gateway's admin API. */
export async function createOffers(config: Config, file: string, o: { url: string; token?: string }): Promise<void> {
  let offers: unknown;
  try {
    offers = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliError(`cannot read offers from ${file}: ${(err as Error).message}`);
  }
  const list = Array.isArray(offers) ? offers : [offers];
  const token =
    o.token ?? (await signToken(secretKey(config.auth.tokenSecret), { userId: 'nearcast-cli', role: 'admin' }));
  let failed = 0;
  for (const [i, offer] of list.entries()) {
    const res = await fetch(new URL('/v1/admin/offers', o.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(offer),
    }).catch((err: Error) => {
      throw new CliError(`cannot reach the gateway at ${o.url}: ${err.message}`);
    });
    const body = await res.text();
    if (res.ok) console.log(`offer ${i + 1}/${list.length}: created ${body}`);
    else {
      failed++;
      console.error(`offer ${i + 1}/${list.length}: HTTP ${res.status} ${body}`);
    }
  }
  if (failed) throw new CliError(`${failed} of ${list.length} offers failed`);
}

/**
 * Puts a campaign and its offers live from a JSON file `{ campaign, offers }`
 * through the admin API, four eyes included: the marketer creates, submits
 * and activates, a different person approves. Without tokens, both are signed
 * from NEARCAST_TOKEN_SECRET as two distinct CLI identities.
 */
export async function launchCampaign(
  config: Config,
  file: string,
  o: { url: string; marketerToken?: string; approverToken?: string },
): Promise<void> {
  let spec: { campaign?: LaunchCampaign; offers?: LaunchOffer[] };
  try {
    spec = JSON.parse(readFileSync(file, 'utf8')) as typeof spec;
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
  if (!Array.isArray(spec.offers) || spec.offers.length === 0)
    throw new CliError(`${file} needs "offers": a non-empty array (and optionally "campaign")`);
  const key = secretKey(config.auth.tokenSecret);
  const tokens = {
    marketer: o.marketerToken ?? (await signToken(key, { userId: 'nearcast-cli-marketer', role: 'marketer' })),
    approver: o.approverToken ?? (await signToken(key, { userId: 'nearcast-cli-approver', role: 'approver' })),
  };
  try {
    const { campaignId, offerIds } = await launchOffers(fetchCall(o.url), tokens, spec.offers, spec.campaign ?? {});
    console.log(`campaign ${campaignId} live with ${offerIds.length} offer(s): ${offerIds.join(', ')}`);
  } catch (err) {
    throw new CliError(`launch failed: ${(err as Error).message}`);
  }
}
