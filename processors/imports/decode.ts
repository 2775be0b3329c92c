// Physical lines in, numbered rows or rejections out, for one kind and format.
// Pure and line-at-a-time, so the file reader stays a thin loop and every
// quirk (BOM, blank lines, quoted line breaks, bad JSON) is unit-tested here.
import { NearcastError } from '../../pipeline/errors.ts';
import { CsvRecordAssembler, type CsvRecord } from './csv.ts';
import {
  checkHeader,
  preferenceFromCsv,
  preferenceFromObject,
  transactionFromCsv,
  transactionFromObject,
  type ImportKind,
  type Parsed,
  type PreferenceRow,
  type TransactionRow,
} from './rows.ts';

export type ImportFormat = 'csv' | 'ndjson';
export type RowOf<K extends ImportKind> = K extends 'preferences' ? PreferenceRow : TransactionRow;

/** `line` is where the row starts, `endLine` where it ends (a quoted CSV field may span lines). */
export type DecodedRow<T> =
  { line: number; endLine: number; row: T } | { line: number; endLine: number; reason: string };

export interface DecoderOptions {
  /** Rows ending on or before this line were imported by an earlier run: not validated, not emitted. */
  afterLine?: number;
}

export class RowDecoder<K extends ImportKind> {
  private readonly csv = new CsvRecordAssembler();
  private header: string[] | undefined;
  private readonly afterLine: number;

  constructor(
    readonly kind: K,
    readonly format: ImportFormat,
    opts: DecoderOptions = {},
  ) {
    this.afterLine = opts.afterLine ?? 0;
  }

  /** Feeds one physical line (1-based number, no line break). Throws VALIDATION_FAILED for an unusable CSV header. */
  push(text: string, line: number): DecodedRow<RowOf<K>> | undefined {
    if (this.format === 'ndjson') return this.json(text, line);
    const rec = this.csv.push(text, line);
    return rec && this.record(rec);
  }

  /** At end of file: a CSV record left open by a quote. */
  finish(lastLine: number): DecodedRow<RowOf<K>> | undefined {
    if (this.format === 'csv' && this.header === undefined)
      throw new NearcastError(
        'VALIDATION_FAILED',
        `the file has no header line (${this.kind} columns: see docs/imports.md)`,
      );
    const rec = this.csv.finish(lastLine);
    return rec && this.record(rec);
  }

  private json(text: string, line: number): DecodedRow<RowOf<K>> | undefined {
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (line <= this.afterLine || text.trim() === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return { line, endLine: line, reason: `invalid JSON: ${(err as Error).message}` };
    }
    const parsed = (this.kind === 'preferences' ? preferenceFromObject(value) : transactionFromObject(value)) as Parsed<
      RowOf<K>
    >;
    return parsed.ok ? { line, endLine: line, row: parsed.row } : { line, endLine: line, reason: parsed.reason };
  }

  private record(rec: CsvRecord): DecodedRow<RowOf<K>> | undefined {
    if (rec.kind === 'blank') return undefined;
    if (this.header === undefined) {
      const columns = rec.kind === 'record' ? rec.fields.map((f) => f.trim()) : undefined;
      const problem = columns ? checkHeader(this.kind, columns) : rec.kind === 'error' ? rec.reason : undefined;
      if (problem || !columns)
        throw new NearcastError('VALIDATION_FAILED', `line ${rec.line}: the header is not usable: ${problem}`);
      this.header = columns;
      return undefined;
    }
    if (rec.endLine <= this.afterLine) return undefined;
    if (rec.kind === 'error') return { line: rec.line, endLine: rec.endLine, reason: `malformed CSV: ${rec.reason}` };
    if (rec.fields.length !== this.header.length) {
      return {
        line: rec.line,
        endLine: rec.endLine,
        reason: `has ${rec.fields.length} fields, the header has ${this.header.length}`,
      };
    }
    const cells: Record<string, string> = {};
    this.header.forEach((name, i) => (cells[name] = rec.fields[i]!));
    const parsed = (this.kind === 'preferences' ? preferenceFromCsv(cells) : transactionFromCsv(cells)) as Parsed<
      RowOf<K>
    >;
    return parsed.ok
      ? { line: rec.line, endLine: rec.endLine, row: parsed.row }
      : { line: rec.line, endLine: rec.endLine, reason: parsed.reason };
  }
}

/** `--format` when given, else from the file name. */
export function formatOf(file: string, given?: string): ImportFormat {
  if (given === 'csv' || given === 'ndjson') return given;
  if (given !== undefined)
    throw new NearcastError('VALIDATION_FAILED', `--format must be csv or ndjson, got "${given}"`);
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.(ndjson|jsonl)$/i.test(file)) return 'ndjson';
  throw new NearcastError(
    'VALIDATION_FAILED',
    `cannot tell the format of ${file} from its name: pass --format csv or --format ndjson`,
  );
}
