// Who may be shown which offer, now. Pure predicates; each failed check has a
// reason name that ends up in the decision log ("why didn't I get it").
import type { Offer, OpeningHours } from '../../schemas/types.ts';
import type { QuietHours, UserPreferences } from '../../users/user-preferences.ts';
import { localParts } from '../../pipeline/local-time.ts';

export type Rejection =
  'inactive' | 'exhausted' | 'closed' | 'segment' | 'no_consent' | 'quiet_hours' | 'cooldown' | 'daily_cap';

export function isOfferLive(offer: Offer, now: number): boolean {
  return (
    offer.status === 'ACTIVE' &&
    (offer.startsTs === null || offer.startsTs <= now) &&
    (offer.endsTs === null || now < offer.endsTs)
  );
}

/** Inside one of the weekly windows in the merchant's zone; a window may run past midnight (closeMinute > 1440). */
export function isOpen(hours: OpeningHours | null, now: number): boolean {
  if (!hours) return true;
  const { weekday, minute } = localParts(now, hours.timeZone);
  const yesterday = (weekday + 6) % 7;
  return hours.windows.some(
    (w) =>
      (w.day === weekday && w.openMinute <= minute && minute < w.closeMinute) ||
      (w.day === yesterday && minute + 1440 < w.closeMinute),
  );
}

export function inQuietHours(q: QuietHours | null, timeZone: string, now: number): boolean {
  if (!q || q.startMinute === q.endMinute) return false;
  const { minute } = localParts(now, timeZone);
  return q.startMinute < q.endMinute
    ? minute >= q.startMinute && minute < q.endMinute
    : minute >= q.startMinute || minute < q.endMinute;
}

/** An offer with no segments targets everyone; otherwise the user needs one of them. */
export function inSegments(offer: Offer, prefs: UserPreferences): boolean {
  return offer.segments.length === 0 || offer.segments.some((s) => prefs.segments.includes(s));
}

/** The first rule the offer fails for this user now, or undefined when it may be pushed. */
export function rejectionFor(
  offer: Offer,
  prefs: UserPreferences,
  now: number,
  extra: { inCooldown: boolean; dailyCapReached: boolean },
): Rejection | undefined {
  if (offer.status === 'EXHAUSTED') return 'exhausted';
  if (!isOfferLive(offer, now)) return 'inactive';
  if (!isOpen(offer.openingHours, now)) return 'closed';
  if (!inSegments(offer, prefs)) return 'segment';
  if (!prefs.consent) return 'no_consent';
  if (inQuietHours(prefs.quietHours, prefs.timeZone, now)) return 'quiet_hours';
  if (extra.inCooldown) return 'cooldown';
  if (extra.dailyCapReached) return 'daily_cap';
  return undefined;
}
