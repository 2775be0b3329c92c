// The aggregator (partner) API: partners authenticate with their own tokens
// (role `partner`, subject = partner id), create campaigns and offers that
// enter the same approval flow (a staff approver approves them), and see
// only their own campaigns, offers and performance. Activation stays with
// the marketing team.
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.ts';
import { campaignRoutesAt } from './admin-campaigns.ts';
import { offerRoutesAt } from './admin-offers.ts';
import { reportRoutesAt } from './reports.ts';

export function partnerRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  campaignRoutesAt(app, ctx, '/v1/partner', ['partner'], ['partner'], 'partners');
  offerRoutesAt(app, ctx, '/v1/partner', ['partner'], ['partner'], 'partners');
  reportRoutesAt(app, ctx, '/v1/partner', ['partner'], 'partners');
}
