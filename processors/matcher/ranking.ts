// How eligible offers are ordered when more than one could be pushed:
//   score = interest × proximity × priority
// interest: the user's weight for the offer's category, 0..1: the data-science
//   weight, else the one learnt from their own claims and redemptions, else 0.5;
// proximity: 1 at the geofence centre falling to 0.5 at its edge (polygons: 1);
// priority: 1 + priority/10 with the offer's priority clamped to 0..10.
// Each factor is bounded so no single one can silence the others.
import type { Offer } from '../../schemas/types.ts';
import type { UserPreferences } from '../../users/user-preferences.ts';

export const NEUTRAL_INTEREST = 0.5;

export function score(offer: Offer, distanceM: number, radiusM: number | undefined, prefs: UserPreferences): number {
  const interest = clamp(
    prefs.interests[offer.category] ?? prefs.learnedInterests?.[offer.category] ?? NEUTRAL_INTEREST,
    0,
    1,
  );
  const proximity = radiusM ? 1 - 0.5 * clamp(distanceM / radiusM, 0, 1) : 1;
  const priority = 1 + clamp(offer.priority, 0, 10) / 10;
  return interest * proximity * priority;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
