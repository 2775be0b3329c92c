import { describe, expect, it } from 'vitest';
import { CsvRecordAssembler, splitFields } from '../../processors/imports/csv.ts';
import { RowDecoder, formatOf, type DecodedRow } from '../../processors/imports/decode.ts';
import {
  checkHeader,
  preferenceFromCsv,
  preferenceFromObject,
  transactionFromObject,
} from '../../processors/imports/rows.ts';
import {
  applyPreferenceRow,
  preferenceMessage,
  preferenceRowOf,
  transactionMessage,
  transactionRowOf,
} from '../../processors/imports/messages.ts';
import { DEFAULT_PREFERENCES } from '../../users/user-preferences.ts';

/** Feeds a whole file (split like readline: \n, \r\n) through a decoder. */
function decode<K extends 'preferences' | 'transactions'>(
  kind: K,
  format: 'csv' | 'ndjson',
  text: string,
  afterLine = 0,
) {
  const d = new RowDecoder(kind, format, { afterLine });
  const out: DecodedRow<unknown>[] = [];
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((l, i) => {
    const r = d.push(l, i + 1);
    if (r) out.push(r);
  });
  const tail = d.finish(lines.length);
  if (tail) out.push(tail);
  return out;
}
const reasons = (rows: DecodedRow<unknown>[]) =>
  rows.filter((r) => 'reason' in r).map((r) => [r.line, (r as { reason: string }).reason]);

const TX_HEADER = 'transactionId,userId,amountMinor,currency,merchantId,category,occurredAt';

describe('CSV records', () => {
  it('splits quoted fields with commas, doubled quotes and empty fields', () => {
    expect(splitFields('a,"b, c","say ""hi""",,"" ')).toEqual('field 5: unexpected " " after a closing quote');
    expect(splitFields('a,"b, c","say ""hi""",,""')).toEqual(['a', 'b, c', 'say "hi"', '', '']);
    expect(splitFields('x,a"b')).toMatch(/quote inside an unquoted field/);
  });

  it('joins a quoted field across lines and numbers the record by its first line', () => {
    const a = new CsvRecordAssembler();
    expect(a.push('1,"two', 5)).toBeUndefined();
    expect(a.push('lines",3', 6)).toEqual({ kind: 'record', line: 5, endLine: 6, fields: ['1', 'two\nlines', '3'] });
  });

  it('a stray quote costs one row, not the rest of the file', () => {
    const a = new CsvRecordAssembler();
    expect(a.push('1,a"b,3', 2)).toMatchObject({ kind: 'error', line: 2 });
    expect(a.push('"bad"q,2', 3)).toMatchObject({ kind: 'error', line: 3 });
    expect(a.push('4,5,6', 4)).toMatchObject({ kind: 'record', fields: ['4', '5', '6'] });
  });

  it('gives up on an unclosed quote after a bounded number of lines, and at end of file', () => {
    const a = new CsvRecordAssembler(3);
    a.push('"open', 1);
    a.push('x', 2);
    expect(a.push('y', 3)).toMatchObject({ kind: 'error', line: 1, endLine: 3 });
    a.push('"again', 4);
    expect(a.finish(4)).toMatchObject({ kind: 'error', line: 4, reason: expect.stringMatching(/never closes/) });
  });
});

describe('decoding files', () => {
  it('CSV with BOM, CRLF, blank lines, reordered columns and quotes', () => {
    const text = `\uFEFFuserId,transactionId,amountMinor,currency,merchantId,category,occurredAt\r\n\r\nu1,t1,1999,EUR,m1,"food, fresh",2026-05-01T10:00:00Z\r\n  \r\nu2,t2,-500,USD,m2,books,2026-05-01T12:00:00.123+02:00\r\n`;
    const rows = decode('transactions', 'csv', text);
    expect(rows).toEqual([
      {
        line: 3,
        endLine: 3,
        row: {
          transactionId: 't1',
          userId: 'u1',
          amountMinor: 1999,
          currency: 'EUR',
          merchantId: 'm1',
          category: 'food, fresh',
          occurredAt: Date.parse('2026-05-01T10:00:00Z'),
        },
      },
      {
        line: 5,
        endLine: 5,
        row: expect.objectContaining({
          transactionId: 't2',
          amountMinor: -500,
          occurredAt: Date.parse('2026-05-01T10:00:00.123Z'),
        }),
      },
    ]);
  });

  it('every invalid transaction gets its line and a precise reason', () => {
    const text = [
      TX_HEADER,
      't1,u1,12.5,EUR,m,c,2026-05-01T10:00:00Z',
      't2,u1,100,eur,m,c,2026-05-01T10:00:00Z',
      't3,u1,100,EUR,m,c,2026-02-30T10:00:00Z',
      't4,u1,100,EUR,m,c,yesterday',
      't5,,100,EUR,m,c,2026-05-01T10:00:00Z',
      't6,u1,100,EUR,m,c',
      't7,u1,100,EUR,m,c,2026-05-01T10:00:00Z',
    ].join('\n');
    const rows = decode('transactions', 'csv', text);
    expect(reasons(rows)).toEqual([
      [2, 'amountMinor: must be an integer amount in minor units (cents), got "12.5"'],
      [3, 'currency: "eur" is not an ISO 4217 code (three capitals, e.g. EUR)'],
      [4, 'occurredAt: "2026-02-30T10:00:00Z" is not a real date and time'],
      [5, 'occurredAt: "yesterday" is not an RFC 3339 time (e.g. 2026-05-01T10:00:00Z)'],
      [6, 'userId: must not be empty'],
      [7, 'has 6 fields, the header has 7'],
    ]);
    expect(rows.filter((r) => 'row' in r)).toHaveLength(1);
  });

  it('a bad header stops the file with a clear message; a missing one too', () => {
    expect(() => decode('transactions', 'csv', 'transactionId,userId\n')).toThrow(
      /line 1: the header is not usable: missing columns amountMinor/,
    );
    expect(() => decode('preferences', 'csv', 'userId,colour\n')).toThrow(/unknown column "colour"/);
    expect(() => decode('preferences', 'csv', '\n\n')).toThrow(/no header line/);
    expect(checkHeader('preferences', ['userId', 'userId'])).toMatch(/twice/);
  });

  it('NDJSON: invalid JSON lines, non-objects and unknown fields are rejected, the rest kept', () => {
    const text = [
      '{"transactionId":"t1","userId":"u1","amountMinor":100,"currency":"EUR","merchantId":"m","category":"c","occurredAt":"2026-05-01T10:00:00Z"}',
      '{"transactionId":"t2",',
      '',
      '[1,2]',
      '{"transactionId":"t3","userId":"u1","amountMinor":"100","currency":"EUR","merchantId":"m","category":"c","occurredAt":"2026-05-01T10:00:00Z"}',
      '{"transactionId":"t4","userId":"u1","amountMinor":100,"currency":"EUR","merchantId":"m","category":"c","occurredAt":"2026-05-01T10:00:00Z","x":1}',
    ].join('\r\n');
    const rows = decode('transactions', 'ndjson', `\uFEFF${text}`);
    expect(rows[0]).toMatchObject({ line: 1, row: { transactionId: 't1' } });
    expect(reasons(rows).map(([l, r]) => [l, String(r).split(':')[0]])).toEqual([
      [2, 'invalid JSON'],
      [4, 'row must be a JSON object, got [1,2]'],
      [5, 'amountMinor'],
      [6, 'unknown field "x"'],
    ]);
  });

  it('resuming skips rows that end on or before the checkpoint line but still reads the header', () => {
    const text = `${TX_HEADER}\nt1,u1,1,EUR,m,c,2026-05-01T10:00:00Z\nt2,u1,1,EUR,m,"multi\nline",2026-05-01T10:00:00Z\nt3,u1,1,EUR,m,c,2026-05-01T10:00:00Z\n`;
    expect(decode('transactions', 'csv', text, 2).map((r) => r.line)).toEqual([3, 5]);
    expect(decode('transactions', 'csv', text, 3).map((r) => r.line)).toEqual([3, 5]);
    expect(decode('transactions', 'csv', text, 4).map((r) => r.line)).toEqual([5]);
  });

  it('format from the name or the flag', () => {
    expect(formatOf('a/b.CSV')).toBe('csv');
    expect(formatOf('x.jsonl')).toBe('ndjson');
    expect(formatOf('x.txt', 'ndjson')).toBe('ndjson');
    expect(() => formatOf('x.txt')).toThrow(/--format/);
  });
});

describe('preference rows', () => {
  it('CSV cells: interests, segments, consent words, quiet hours as HH:MM, off clears them', () => {
    const r = preferenceFromCsv({
      userId: 'u1',
      interests: 'food:0.9; books : 0.2',
      segments: 'a;b',
      consent: 'No',
      quietStart: '22:00',
      quietEnd: '07:30',
      timeZone: 'Europe/Amsterdam',
      locale: 'nl-nl',
    });
    expect(r).toEqual({
      ok: true,
      row: {
        userId: 'u1',
        interests: { food: 0.9, books: 0.2 },
        segments: ['a', 'b'],
        consent: false,
        quietHours: { startMinute: 1320, endMinute: 450 },
        timeZone: 'Europe/Amsterdam',
        locale: 'nl-NL',
      },
    });
    expect(preferenceFromCsv({ userId: 'u1', quietStart: 'off', quietEnd: '' })).toEqual({
      ok: true,
      row: { userId: 'u1', quietHours: null },
    });
    expect(preferenceFromCsv({ userId: 'u1', interests: '' })).toEqual({ ok: true, row: { userId: 'u1' } });
  });

  it.each([
    [{ userId: 'u', interests: 'food' }, 'interests: "food" is not category:weight (e.g. food:0.9;books:0.2)'],
    [{ userId: 'u', interests: 'food:1.5' }, 'interests.food: weight must be a number from 0 to 1, got 1.5'],
    [{ userId: 'u', consent: 'maybe' }, 'consent: must be true/false, yes/no or 1/0, got "maybe"'],
    [{ userId: 'u', quietStart: '22:00' }, 'quietStart and quietEnd: give both or neither'],
    [
      { userId: 'u', quietStart: '24:00', quietEnd: '07:00' },
      'quietStart: must be a time HH:MM from 00:00 to 23:59, got "24:00"',
    ],
    [{ userId: 'u', timeZone: 'Mars/Olympus' }, 'timeZone: "Mars/Olympus" is not an IANA time zone'],
    [{ userId: 'u', locale: 'not a locale' }, 'locale: "not a locale" is not a BCP 47 language tag'],
    [{ userId: '' }, 'userId: must not be empty'],
  ])('CSV %j → %s', (cells, reason) => {
    expect(preferenceFromCsv(cells as Record<string, string>)).toEqual({ ok: false, reason });
  });

  it('NDJSON objects: null quiet hours clears, wrong types are named', () => {
    expect(preferenceFromObject({ userId: 'u', quietHours: null, segments: [] })).toEqual({
      ok: true,
      row: { userId: 'u', quietHours: null, segments: [] },
    });
    expect(preferenceFromObject({ userId: 'u', consent: 'yes' })).toEqual({
      ok: false,
      reason: 'consent: must be true or false, got "yes"',
    });
    expect(preferenceFromObject({ userId: 'u', quietHours: { startMinute: 1440, endMinute: 0 } })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^quietHours.startMinute/),
    });
    expect(preferenceFromObject({ userId: 'u', segments: ['ok', 3] })).toMatchObject({
      ok: false,
      reason: 'segments[1]: must be a string, got 3',
    });
  });
});

describe('messages and merging', () => {
  it('a row survives the trip through the message shape, including clearing quiet hours', () => {
    const row = { userId: 'u', interests: { food: 1 }, quietHours: null, locale: 'en-GB' };
    expect(preferenceRowOf(preferenceMessage('imp', 7, row))).toEqual({ ok: true, row });
    const tx = transactionFromObject({
      transactionId: 't',
      userId: 'u',
      amountMinor: 5,
      currency: 'EUR',
      merchantId: 'm',
      category: 'c',
      occurredAt: '2026-05-01T10:00:00Z',
    });
    if (!tx.ok) throw new Error(tx.reason);
    expect(transactionRowOf(transactionMessage('imp', 3, tx.row))).toEqual(tx);
    expect(transactionRowOf({ ...transactionMessage('imp', 3, tx.row), currency: 'ZZZ' }).ok).toBe(false);
  });

  it('merging replaces only the named fields and is idempotent', () => {
    const current = {
      ...DEFAULT_PREFERENCES,
      segments: ['old'],
      interests: { books: 0.3 },
      quietHours: { startMinute: 1, endMinute: 2 },
    };
    const row = { userId: 'u', interests: { food: 0.9 }, quietHours: null };
    const once = applyPreferenceRow(current, row, 1000);
    expect(once).toEqual({ ...current, interests: { food: 0.9 }, quietHours: null, updatedTs: 1000 });
    expect(applyPreferenceRow(once, row, 1000)).toEqual(once);
    expect(applyPreferenceRow(undefined, { userId: 'u', consent: false }, 5)).toEqual({
      ...DEFAULT_PREFERENCES,
      consent: false,
      updatedTs: 5,
    });
  });
});
