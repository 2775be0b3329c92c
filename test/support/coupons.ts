// Coupon tests: a database of their own (created, migrated, dropped), a
// gateway on it with the outbox relay and sweeper running, and tokens for
// each role.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../pipeline/config.ts';
import { createRuntime, type Runtime } from '../../pipeline/runtime.ts';
import { buildGateway } from '../../gateway/app.ts';
import { secretKey, signToken, type Role } from '../../gateway/auth.ts';
import { dropDatabase, migrate, startCouponWorker, type CouponWorker } from '../../coupons/index.ts';
import { launchOffers, type ApiCall, type LaunchOffer } from '../../scripts/launch-offers.ts';
import { issued, prefixRoot, testEnv } from './env.ts';

/** A fresh database name, recorded so the file's cleanup (test/support/cleanup.ts) drops it even after a failure. */
export function uniqueDatabaseUrl(): string {
  const tag = prefixRoot === 't' ? '' : `${prefixRoot}_`;
  const url = `postgres://postgres@127.0.0.1:5432/nearcast_test_${tag}${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  issued.databases.add(url);
  return url;
}

export interface CouponStack {
  env: Record<string, string>;
  config: Config;
  rt: Runtime;
  app: FastifyInstance;
  worker: CouponWorker | undefined;
  /** `merchants`: a merchant token's points of sale (gateway/merchant-claim.ts). */
  token(role: Role, sub?: string, merchants?: string[]): Promise<string>;
  call: ApiCall;
  /** A live offer (campaign and offer approved and active) with the given fields. */
  liveOffer(
    fields?: Partial<LaunchOffer>,
    campaign?: { budgetMinor?: number },
  ): Promise<{ campaignId: string; offerId: string }>;
  close(): Promise<void>;
}

export async function startCouponStack(
  overrides: Record<string, string> = {},
  opts: { worker?: boolean } = {},
): Promise<CouponStack> {
  const env = testEnv({
    NEARCAST_DATABASE_URL: uniqueDatabaseUrl(),
    NEARCAST_OUTBOX_POLL_MS: '100',
    NEARCAST_EXPIRY_SWEEP_MS: '200',
    ...overrides,
  });
  const config = loadConfig(env);
  await migrate(config.databaseUrl);
  const rt = await createRuntime(config);
  const app = await buildGateway(rt);
  const worker = opts.worker === false ? undefined : startCouponWorker(rt);
  const key = secretKey(config.auth.tokenSecret);
  const token = (role: Role, sub = `${role}-1`, merchants?: string[]) =>
    signToken(key, { userId: sub, role, merchants });
  const call: ApiCall = async (method, url, tok, body) => {
    const res = await app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${tok}` },
      ...(body === undefined ? {} : { payload: body as object }),
    });
    return { status: res.statusCode, json: res.body ? res.json() : null };
  };
  return {
    env,
    config,
    rt,
    app,
    worker,
    token,
    call,
    async liveOffer(fields = {}, campaign = {}) {
      const tokens = { marketer: await token('marketer'), approver: await token('approver') };
      const offer = { title: 'Test offer', circles: [{ lat: 52.37, lng: 4.89, radiusM: 200 }], ...fields };
      const { campaignId, offerIds } = await launchOffers(call, tokens, [offer], campaign);
      return { campaignId, offerId: offerIds[0]! };
    },
    async close() {
      await worker?.stop();
      await app.close();
      await rt.close();
      await dropDatabase(config.databaseUrl);
    },
  };
}
