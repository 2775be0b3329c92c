// Wall-clock parts of an instant in an IANA time zone, for opening hours,
// quiet hours and "per day" caps. Formatters are cached: building one is slow.
// Every cache is keyed by the zone's canonical name and capped: zone names
// come from users (any capitalisation is valid), and a formatter is ~18 KB.
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** A Map that forgets everything when full: cheap on the hot path, and bounded. */
export class CappedMap<K, V> extends Map<K, V> {
  constructor(readonly cap: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (this.size >= this.cap && !this.has(key)) this.clear();
    return super.set(key, value);
  }
}

/** Lower-cased spelling → canonical zone name (null: not a zone). Zone names match case-insensitively (ECMA-402). */
const canonical = new CappedMap<string, string | null>(4096);
/** There are about 600 canonical zones; the cap only matters if that changes. */
const formatters = new CappedMap<string, Intl.DateTimeFormat>(1024);

/** The canonical IANA name of a zone however it is spelt ("europe/amsterdam" → "Europe/Amsterdam"), or undefined. */
export function canonicalTimeZone(timeZone: string): string | undefined {
  const key = timeZone.toLowerCase();
  let c = canonical.get(key);
  if (c === undefined) {
    try {
      c = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
    } catch {
      c = null;
    }
    canonical.set(key, c);
  }
  return c ?? undefined;
}

/** A cached formatter for a zone, or undefined when it is not one. */
export function zoneFormatter(
  timeZone: string,
  build: (canonicalZone: string) => Intl.DateTimeFormat,
  cache = formatters,
): Intl.DateTimeFormat | undefined {
  const zone = canonicalTimeZone(timeZone);
  if (zone === undefined) return undefined;
  let f = cache.get(zone);
  if (!f) {
    f = build(zone);
    cache.set(zone, f);
  }
  return f;
}

const partsFormatter = (timeZone: string) =>
  new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    weekday: 'short',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });

function formatter(timeZone: string): Intl.DateTimeFormat {
  const f = zoneFormatter(timeZone, partsFormatter);
  if (!f) throw new RangeError(`invalid time zone ${timeZone}`);
  return f;
}

/** How many formatters and spellings are cached (tests: they stay bounded). */
export function timeZoneCacheSizes(): { formatters: number; spellings: number; slots: number } {
  return { formatters: formatters.size, spellings: canonical.size, slots: slots.size };
}

export interface LocalParts {
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** Minutes after local midnight. */
  minute: number;
  /** Local calendar date, YYYY-MM-DD. */
  date: string;
}

export function isValidTimeZone(timeZone: string): boolean {
  return canonicalTimeZone(timeZone) !== undefined;
}

const SLOT_MS = 15 * 60_000;
const slots = new CappedMap<string, LocalParts>(50_000);

/**
 * Local weekday, minute of day and date of `ts` in `timeZone`; an unknown
 * zone falls back to UTC. Every zone's offset is a multiple of 15 minutes and
 * changes only on a quarter hour, so within one UTC quarter hour the local
 * date and weekday are fixed and the minute moves with the clock: formatting
 * once per zone and quarter hour is enough (it was the matcher's top cost).
 */
export function localParts(ts: number, timeZone: string): LocalParts {
  const slotStart = Math.floor(ts / SLOT_MS) * SLOT_MS;
  const zone = canonicalTimeZone(timeZone) ?? 'UTC';
  const key = `${zone}\u0000${slotStart}`;
  let start = slots.get(key);
  if (!start) {
    start = format(slotStart, zone);
    slots.set(key, start);
  }
  return { ...start, minute: start.minute + Math.floor((ts - slotStart) / 60_000) };
}

function format(ts: number, timeZone: string): LocalParts {
  const parts = formatter(timeZone).formatToParts(ts);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    weekday: WEEKDAYS[get('weekday')] ?? 0,
    minute: Number(get('hour')) * 60 + Number(get('minute')),
    date: `${get('year')}-${get('month')}-${get('day')}`,
  };
}
