// Rows to topic messages and back, and how a preferences row changes what is
// stored. Pure. Applying the same row twice gives the same preferences, which
// is what makes a re-sent row harmless.
import { DEFAULT_PREFERENCES, type UserPreferences } from '../../users/user-preferences.ts';
import type { ImportedPreferences, ImportedTransaction } from '../../schemas/types.ts';
import {
  checkTransaction,
  preferenceFromObject,
  type Parsed,
  type PreferenceRow,
  type TransactionRow,
} from './rows.ts';

export function preferenceMessage(importId: string, line: number, r: PreferenceRow): ImportedPreferences {
  return {
    importId,
    line,
    userId: r.userId,
    interests: r.interests ?? null,
    segments: r.segments ?? null,
    consent: r.consent ?? null,
    quietHours: r.quietHours ?? null,
    clearQuietHours: r.quietHours === null,
    timeZone: r.timeZone ?? null,
    locale: r.locale ?? null,
  };
}

export function transactionMessage(importId: string, line: number, r: TransactionRow): ImportedTransaction {
  return { importId, line, ...r };
}

/** A decoded message back to a row, checked again (the topic may carry anything). */
export function preferenceRowOf(m: ImportedPreferences): Parsed<PreferenceRow> {
  const o: Record<string, unknown> = { userId: m.userId };
  if (m.interests !== null) o['interests'] = m.interests;
  if (m.segments !== null) o['segments'] = m.segments;
  if (m.consent !== null) o['consent'] = m.consent;
  if (m.clearQuietHours) o['quietHours'] = null;
  else if (m.quietHours !== null) o['quietHours'] = m.quietHours;
  if (m.timeZone !== null) o['timeZone'] = m.timeZone;
  if (m.locale !== null) o['locale'] = m.locale;
  return preferenceFromObject(o);
}

export function transactionRowOf(m: ImportedTransaction): Parsed<TransactionRow> {
  const { importId: _i, line: _l, ...row } = m;
  return checkTransaction(row);
}

/** The stored preferences after a row: fields the row names replace the stored ones. */
export function applyPreferenceRow(
  current: UserPreferences | undefined,
  row: PreferenceRow,
  now: number,
): UserPreferences {
  const { userId: _u, ...patch } = row;
  return { ...(current ?? DEFAULT_PREFERENCES), ...patch, updatedTs: now };
}
