// The two kinds of imported rows and their validation, from a CSV record
// (column name → text) or an NDJSON object. Pure: every invalid row gets one
// precise reason naming the field, and the same checks run again in the
// consumer because a message on the topic may come from anywhere.
import { isValidTimeZone } from '../../pipeline/local-time.ts';
import type { QuietHours } from '../../users/user-preferences.ts';
import type { ImportedTransaction } from '../../schemas/types.ts';

export type ImportKind = 'preferences' | 'transactions';

/** A partial update of one user's preferences: absent fields stay as they are. */
export interface PreferenceRow {
  userId: string;
  interests?: Record<string, number>;
  segments?: string[];
  consent?: boolean;
  /** null clears the quiet hours. */
  quietHours?: QuietHours | null;
  timeZone?: string;
  locale?: string;
}

/** One valid purchase row: the Avro message without its import id and line. */
export type TransactionRow = Omit<ImportedTransaction, 'importId' | 'line'>;

export type Parsed<T> = { ok: true; row: T } | { ok: false; reason: string };

export const CSV_COLUMNS = {
  preferences: ['userId', 'interests', 'segments', 'consent', 'quietStart', 'quietEnd', 'timeZone', 'locale'],
  transactions: ['transactionId', 'userId', 'amountMinor', 'currency', 'merchantId', 'category', 'occurredAt'],
} as const satisfies Record<ImportKind, readonly string[]>;

const REQUIRED: Record<ImportKind, readonly string[]> = {
  preferences: ['userId'],
  transactions: CSV_COLUMNS.transactions,
};

class RowError extends Error {}
const fail = (reason: string): never => {
  throw new RowError(reason);
};
function attempt<T>(fn: () => T): Parsed<T> {
  try {
    return { ok: true, row: fn() };
  } catch (err) {
    if (err instanceof RowError) return { ok: false, reason: err.message };
    throw err;
  }
}

const show = (v: unknown) => (JSON.stringify(v) ?? String(v)).slice(0, 60);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function text(field: string, v: unknown, max: number): string {
  if (typeof v !== 'string') return fail(`${field}: must be a string, got ${show(v)}`);
  if (v.length === 0) return fail(`${field}: must not be empty`);
  if (v.length > max) return fail(`${field}: longer than ${max} characters`);
  if (CONTROL.test(v)) return fail(`${field}: contains control characters`);
  return v;
}

/** The header line: known column names, each once, required ones present. Returns a reason when unusable. */
export function checkHeader(kind: ImportKind, columns: readonly string[]): string | undefined {
  const known = new Set<string>(CSV_COLUMNS[kind]);
  const seen = new Set<string>();
  for (const c of columns) {
    if (!known.has(c)) return `unknown column ${show(c)} (${kind} columns: ${CSV_COLUMNS[kind].join(',')})`;
    if (seen.has(c)) return `column ${show(c)} appears twice`;
    seen.add(c);
  }
  const missing = REQUIRED[kind].filter((c) => !seen.has(c));
  return missing.length ? `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` : undefined;
}

// ---- preferences ----

function interestsFrom(v: unknown): Record<string, number> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return fail(`interests: must be an object of category: weight, got ${show(v)}`);
  const entries = Object.entries(v);
  if (entries.length > 100) fail('interests: more than 100 categories');
  const out: Record<string, number> = {};
  for (const [category, w] of entries) {
    text('interests category', category, 60);
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0 || w > 1)
      fail(`interests.${category}: weight must be a number from 0 to 1, got ${show(w)}`);
    out[category] = w as number;
  }
  return out;
}

function segmentsFrom(v: unknown): string[] {
  if (!Array.isArray(v)) return fail(`segments: must be an array of strings, got ${show(v)}`);
  if (v.length > 100) fail('segments: more than 100 segments');
  return v.map((s, i) => text(`segments[${i}]`, s, 60));
}

function quietHoursFrom(v: unknown): QuietHours | null {
  if (v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v))
    return fail(`quietHours: must be {startMinute, endMinute} or null, got ${show(v)}`);
  const { startMinute, endMinute, ...rest } = v as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) fail(`quietHours: unknown field ${show(extra)}`);
  for (const [name, m] of [
    ['startMinute', startMinute],
    ['endMinute', endMinute],
  ] as const) {
    if (!Number.isInteger(m) || (m as number) < 0 || (m as number) > 1439)
      fail(`quietHours.${name}: must be an integer minute of the day 0–1439, got ${show(m)}`);
  }
  return { startMinute: startMinute as number, endMinute: endMinute as number };
}

function localeFrom(v: unknown): string {
  const s = text('locale', v, 35);
  try {
    return Intl.getCanonicalLocales(s)[0] ?? fail(`locale: ${show(s)} is not a BCP 47 language tag`);
  } catch {
    return fail(`locale: ${show(s)} is not a BCP 47 language tag`);
  }
}

function timeZoneFrom(v: unknown): string {
  const s = text('timeZone', v, 64);
  return isValidTimeZone(s) ? s : fail(`timeZone: ${show(s)} is not an IANA time zone`);
}

const PREFERENCE_FIELDS = new Set(['userId', 'interests', 'segments', 'consent', 'quietHours', 'timeZone', 'locale']);

/** An NDJSON object (or a decoded message) as a preference row. */
export function preferenceFromObject(o: unknown): Parsed<PreferenceRow> {
  return attempt(() => {
    if (typeof o !== 'object' || o === null || Array.isArray(o))
      return fail(`row must be a JSON object, got ${show(o)}`);
    const r = o as Record<string, unknown>;
    for (const k of Object.keys(r)) if (!PREFERENCE_FIELDS.has(k)) fail(`unknown field ${show(k)}`);
    const row: PreferenceRow = { userId: text('userId', r['userId'], 128) };
    if (r['interests'] !== undefined) row.interests = interestsFrom(r['interests']);
    if (r['segments'] !== undefined) row.segments = segmentsFrom(r['segments']);
    if (r['consent'] !== undefined)
      row.consent =
        typeof r['consent'] === 'boolean'
          ? r['consent']
          : fail(`consent: must be true or false, got ${show(r['consent'])}`);
    if (r['quietHours'] !== undefined) row.quietHours = quietHoursFrom(r['quietHours']);
    if (r['timeZone'] !== undefined) row.timeZone = timeZoneFrom(r['timeZone']);
    if (r['locale'] !== undefined) row.locale = localeFrom(r['locale']);
    return row;
  });
}

const BOOLEANS: Record<string, boolean> = { true: true, false: false, yes: true, no: false, '1': true, '0': false };

/** "22:30" → 1350. */
function clockMinute(field: string, s: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(s);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59)
    return fail(`${field}: must be a time HH:MM from 00:00 to 23:59, got ${show(s)}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/**
 * A CSV record (column → text) as a preference row. Empty cells leave the field
 * unchanged. interests `food:0.9;books:0.2`, segments `a;b`, consent
 * true/false/yes/no/1/0, quietStart/quietEnd `HH:MM` (both, or quietStart `off`
 * to clear them).
 */
export function preferenceFromCsv(c: Record<string, string>): Parsed<PreferenceRow> {
  return attempt(() => {
    const o: Record<string, unknown> = { userId: c['userId'] ?? '' };
    const v = (k: string) => (c[k] ?? '').trim();
    if (v('interests')) {
      const interests: Record<string, unknown> = {};
      for (const pair of v('interests').split(';')) {
        const m = /^\s*([^:]+?)\s*:\s*([^:]*?)\s*$/.exec(pair);
        if (!m || m[2] === '' || !Number.isFinite(Number(m[2])))
          return fail(`interests: ${show(pair)} is not category:weight (e.g. food:0.9;books:0.2)`);
        interests[m[1]!] = Number(m[2]);
      }
      o['interests'] = interests;
    }
    if (v('segments'))
      o['segments'] = v('segments')
        .split(';')
        .map((s) => s.trim());
    if (v('consent')) {
      const b = BOOLEANS[v('consent').toLowerCase()];
      o['consent'] = b ?? fail(`consent: must be true/false, yes/no or 1/0, got ${show(v('consent'))}`);
    }
    if (v('quietStart').toLowerCase() === 'off') {
      if (v('quietEnd')) fail('quietEnd: must be empty when quietStart is "off"');
      o['quietHours'] = null;
    } else if (v('quietStart') || v('quietEnd')) {
      if (!v('quietStart') || !v('quietEnd')) fail('quietStart and quietEnd: give both or neither');
      o['quietHours'] = {
        startMinute: clockMinute('quietStart', v('quietStart')),
        endMinute: clockMinute('quietEnd', v('quietEnd')),
      };
    }
    if (v('timeZone')) o['timeZone'] = v('timeZone');
    if (v('locale')) o['locale'] = v('locale');
    const parsed = preferenceFromObject(o);
    return parsed.ok ? parsed.row : fail(parsed.reason);
  });
}

// ---- transactions ----

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
let currencies: Set<string> | undefined;

function currencyFrom(v: unknown): string {
  const s = text('currency', v, 16);
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  return /^[A-Z]{3}$/.test(s) && currencies.has(s)
    ? s
    : fail(`currency: ${show(s)} is not an ISO 4217 code (three capitals, e.g. EUR)`);
}

function timestampFrom(v: unknown): number {
  const s = text('occurredAt', v, 40);
  const m = RFC3339.exec(s);
  if (!m) return fail(`occurredAt: ${show(s)} is not an RFC 3339 time (e.g. 2026-05-01T10:00:00Z)`);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // Date.parse would roll 2026-02-30 over to March; check the calendar ourselves.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59)
    fail(`occurredAt: ${show(s)} is not a real date and time`);
  return Date.parse(s.toUpperCase().replace(' ', 'T'));
}

function amountFrom(v: unknown): number {
  const n = typeof v === 'string' && /^-?\d{1,15}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || Math.abs(n) >= 1e15)
    return fail(`amountMinor: must be an integer amount in minor units (cents), got ${show(v)}`);
  return n;
}

const TRANSACTION_FIELDS = new Set<string>(CSV_COLUMNS.transactions);

function transaction(r: Record<string, unknown>): TransactionRow {
  return {
    transactionId: text('transactionId', r['transactionId'], 128),
    userId: text('userId', r['userId'], 128),
    amountMinor: amountFrom(r['amountMinor']),
    currency: currencyFrom(r['currency']),
    merchantId: text('merchantId', r['merchantId'], 128),
    category: text('category', r['category'], 60),
    occurredAt: typeof r['occurredAt'] === 'number' ? r['occurredAt'] : timestampFrom(r['occurredAt']),
  };
}

/** An NDJSON object as a transaction row (amountMinor a JSON integer, occurredAt an RFC 3339 string). */
export function transactionFromObject(o: unknown): Parsed<TransactionRow> {
  return attempt(() => {
    if (typeof o !== 'object' || o === null || Array.isArray(o))
      return fail(`row must be a JSON object, got ${show(o)}`);
    const r = o as Record<string, unknown>;
    for (const k of Object.keys(r)) if (!TRANSACTION_FIELDS.has(k)) fail(`unknown field ${show(k)}`);
    if (typeof r['amountMinor'] === 'string')
      fail(`amountMinor: must be a JSON integer, got ${show(r['amountMinor'])}`);
    if (typeof r['occurredAt'] !== 'string')
      fail(`occurredAt: must be an RFC 3339 string, got ${show(r['occurredAt'])}`);
    return transaction(r);
  });
}

export function transactionFromCsv(c: Record<string, string>): Parsed<TransactionRow> {
  return attempt(() => transaction(Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v.trim()]))));
}

/** Re-checks a transaction decoded from the topic (occurredAt already epoch ms). */
export function checkTransaction(t: TransactionRow): Parsed<TransactionRow> {
  return attempt(() => {
    if (!Number.isFinite(t.occurredAt)) fail('occurredAt: not a time');
    return transaction(t as unknown as Record<string, unknown>);
  });
}
