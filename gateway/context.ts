// What the gateway's routes and hooks receive: the runtime's clients plus the
// gateway's own helpers. Its own module so routes depend on this shape only,
// never on the composition root (app.ts), which imports every route.
import type { Runtime } from '../pipeline/runtime.ts';
import type { Revocations } from '../users/revocations.ts';
import type { ConsentGate } from '../users/consent-gate.ts';
import type { TokenVerifier } from './guard.ts';
import type { EventLoopMonitor } from './event-loop.ts';

/** What buildGateway needs from its caller (a Runtime, or test doubles). */
export type GatewayDeps = Pick<
  Runtime,
  'config' | 'log' | 'metrics' | 'admin' | 'publisher' | 'codecs' | 'redis' | 'pool' | 'changelog'
> & { now?: () => number };

export type GatewayContext = GatewayDeps & {
  key: TokenVerifier;
  revocations: Revocations;
  consent: ConsentGate;
  now: () => number;
  loop: EventLoopMonitor;
};
