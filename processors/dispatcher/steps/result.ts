// The delivery result every push request ends with, whichever step it stops at.
import type { DeliveryResult, PushRequest } from '../../../schemas/types.ts';

/** The delivery results of the batch so far, carried from step to step. */
export interface Results {
  results: DeliveryResult[];
}

export type MakeResult = (req: PushRequest, over: Partial<DeliveryResult>) => DeliveryResult;

export function resultMaker(now: () => number): MakeResult {
  return (req, over) => ({
    pushId: req.pushId,
    userId: req.userId,
    offerId: req.offerId,
    channel: 'NONE',
    outcome: 'UNKNOWN',
    attempts: 0,
    status: null,
    reason: '',
    deviceTs: req.deviceTs,
    completedTs: now(),
    ...over,
  });
}
