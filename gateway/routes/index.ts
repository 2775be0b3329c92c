// Every route module of the gateway, in one list. A new area adds one import and one entry.
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.ts';
import { locationRoutes } from './locations.ts';
import { pushRoutes } from './push-subscriptions.ts';
import { adminOfferRoutes } from './admin-offers.ts';
import { adminCampaignRoutes } from './admin-campaigns.ts';
import { claimRoutes } from './claims.ts';
import { redemptionRoutes } from './redemptions.ts';
import { reportRoutes } from './reports.ts';
import { partnerRoutes } from './partners.ts';
import { healthRoutes } from './health.ts';
import { userRoutes } from './users.ts';

export type RouteModule = (app: FastifyInstance, ctx: GatewayContext) => void;

export const ROUTES: readonly RouteModule[] = [
  locationRoutes,
  pushRoutes,
  adminOfferRoutes,
  adminCampaignRoutes,
  claimRoutes,
  redemptionRoutes,
  reportRoutes,
  partnerRoutes,
  healthRoutes,
  userRoutes,
];
