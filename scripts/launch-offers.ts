// Puts offers live through the real coupon API, four eyes included: a
// marketer creates and submits the campaign and its offers, a second person
// (an approver) approves them, and the marketer activates. Used by the demo
// and by tests; `call` is fetch against a listening gateway or fastify inject.

export type ApiCall = (
  method: 'GET' | 'POST' | 'PATCH',
  url: string,
  token: string,
  body?: unknown,
) => Promise<{ status: number; json: unknown }>;

export interface LaunchTokens {
  marketer: string;
  approver: string;
}

export interface LaunchCampaign {
  name?: string;
  budgetMinor?: number;
  startsAt?: string;
  endsAt?: string;
}

/** The offer fields the API takes, minus campaignId; reward and caps get defaults. */
export type LaunchOffer = Record<string, unknown> & { title: string };

async function ok(
  call: ApiCall,
  method: 'POST',
  url: string,
  token: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const res = await call(method, url, token, body);
  if (res.status >= 300) throw new Error(`${method} ${url} answered ${res.status}: ${JSON.stringify(res.json)}`);
  return res.json as Record<string, unknown>;
}

/** Creates, submits, approves (second token) and activates a campaign and its offers; returns their ids. */
export async function launchOffers(
  call: ApiCall,
  t: LaunchTokens,
  offers: readonly LaunchOffer[],
  campaign: LaunchCampaign = {},
): Promise<{ campaignId: string; offerIds: string[] }> {
  const now = Date.now();
  const c = await ok(call, 'POST', '/v1/admin/campaigns', t.marketer, {
    name: campaign.name ?? 'Launch',
    budgetMinor: campaign.budgetMinor ?? 1_000_000,
    startsAt: campaign.startsAt ?? new Date(now - 60_000).toISOString(),
    endsAt: campaign.endsAt ?? new Date(now + 30 * 86_400_000).toISOString(),
  });
  const campaignId = c['campaignId'] as string;
  const offerIds: string[] = [];
  for (const o of offers) {
    const created = await ok(call, 'POST', '/v1/admin/offers', t.marketer, {
      reward: { type: 'cashback', percent: 10, maxMinor: 1000 },
      caps: { maxTotal: 1000 },
      ...o,
      campaignId,
    });
    offerIds.push(created['offerId'] as string);
  }
  for (const [kind, id] of [['campaigns', campaignId] as const, ...offerIds.map((id) => ['offers', id] as const)]) {
    await ok(call, 'POST', `/v1/admin/${kind}/${id}/submit`, t.marketer);
    await ok(call, 'POST', `/v1/admin/${kind}/${id}/approve`, t.approver);
    await ok(call, 'POST', `/v1/admin/${kind}/${id}/activate`, t.marketer);
  }
  return { campaignId, offerIds };
}

/** An ApiCall over HTTP to a listening gateway. */
export function fetchCall(base: string): ApiCall {
  return async (method, url, token, body) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };
}
