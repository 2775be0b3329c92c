// Wall-clock parts of an instant in an IANA time zone, for opening hours,
// quiet hours and "per day" caps. Formatters are cached: building one is slow.
const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
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
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

const SLOT_MS = 15 * 60_000;
const slots = new Map<string, LocalParts>();

/**
 * Local weekday, minute of day and date of `ts` in `timeZone`; an unknown
 * zone falls back to UTC. Every zone's offset is a multiple of 15 minutes and
 * changes only on a quarter hour, so within one UTC quarter hour the local
 * date and weekday are fixed and the minute moves with the clock: formatting
 * once per zone and quarter hour is enough (it was the matcher's top cost).
 */
export function localParts(ts: number, timeZone: string): LocalParts {
  const slotStart = Math.floor(ts / SLOT_MS) * SLOT_MS;
  const key = `${timeZone}\u0000${slotStart}`;
  let start = slots.get(key);
  if (!start) {
    start = format(slotStart, timeZone);
    if (slots.size > 50_000) slots.clear();
    slots.set(key, start);
  }
  return { ...start, minute: start.minute + Math.floor((ts - slotStart) / 60_000) };
}

function format(ts: number, timeZone: string): LocalParts {
  const parts = (isValidTimeZone(timeZone) ? formatter(timeZone) : formatter('UTC')).formatToParts(ts);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    weekday: WEEKDAYS[get('weekday')] ?? 0,
    minute: Number(get('hour')) * 60 + Number(get('minute')),
    date: `${get('year')}-${get('month')}-${get('day')}`,
  };
}
