// Simulated offer circles as the product's Offer records (defaults for
// everything targeting does not need here: no dwell, no hours, no segments).
import { OFFER_DEFAULTS, type Offer } from '../../schemas/types.ts';
import type { OfferCircle } from './city.ts';

export function asOffer(i: number, c: OfferCircle, now = 0): Offer {
  return {
    ...OFFER_DEFAULTS,
    offerId: `bench-offer-${i}`,
    title: `Bench offer ${i}`,
    body: 'Show this at the till',
    category: 'retail',
    circles: [c],
    updatedTs: now,
  } as Offer;
}
