// RFC 4180 CSV, record by record. We parse it ourselves rather than with
// csv-parse: after one malformed quote csv-parse reads the rest of the file as
// a single field (every later row lost), and its record-at-a-time API is slow
// (benchmarks/FINDINGS.md). Here a record is assembled from physical lines until its quotes
// balance, so a bad row costs that row only and keeps its exact line number.

/** Longest record (in physical lines) before an unclosed quote is declared. */
export const MAX_RECORD_LINES = 50;

export type CsvRecord =
  | { kind: 'record'; line: number; endLine: number; fields: string[] }
  | { kind: 'blank'; line: number }
  | { kind: 'error'; line: number; endLine: number; reason: string };

/** Feeds physical lines (without their line break) in order; yields complete records. */
export class CsvRecordAssembler {
  private pending: string[] = [];
  private firstLine = 0;
  private inside = false;

  constructor(private readonly maxRecordLines = MAX_RECORD_LINES) {}

  push(text: string, line: number): CsvRecord | undefined {
    if (this.pending.length === 0) {
      if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1); // UTF-8 byte order mark
      if (text.trim() === '') return { kind: 'blank', line };
      this.firstLine = line;
    }
    this.pending.push(text);
    this.inside = endsInsideQuotes(text, this.inside);
    if (this.inside) {
      if (this.pending.length < this.maxRecordLines) return undefined;
      return this.fail(
        line,
        `unclosed quote: the field opened on line ${this.firstLine} is still open after ${this.maxRecordLines} lines`,
      );
    }
    const joined = this.pending.join('\n');
    this.reset();
    const fields = splitFields(joined);
    return typeof fields === 'string'
      ? { kind: 'error', line: this.firstLine, endLine: line, reason: fields }
      : { kind: 'record', line: this.firstLine, endLine: line, fields };
  }

  /** At end of file: a record still open is an error. */
  finish(lastLine: number): CsvRecord | undefined {
    if (this.pending.length === 0) return undefined;
    return this.fail(lastLine, `unclosed quote: the field opened on line ${this.firstLine} never closes`);
  }

  private fail(endLine: number, reason: string): CsvRecord {
    const line = this.firstLine;
    this.reset();
    return { kind: 'error', line, endLine, reason };
  }

  private reset() {
    this.pending = [];
    this.inside = false;
  }
}

/**
 * Whether a line leaves a quoted field open. Only a quote at the start of a field
 * opens one, so a stray quote inside an unquoted field (`a"b`) does not swallow
 * the following lines: it is reported by splitFields as that row's error.
 */
function endsInsideQuotes(s: string, inside: boolean): boolean {
  if (!inside && !s.includes('"')) return false;
  let fieldStart = !inside;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inside) {
      if (c !== 34) continue;
      if (s.charCodeAt(i + 1) === 34) i++;
      else inside = false;
      fieldStart = false;
    } else {
      if (c === 34 && fieldStart) inside = true;
      fieldStart = c === 44;
    }
  }
  return inside;
}

/** Splits one complete record into fields; returns a reason string when it is malformed. */
export function splitFields(record: string): string[] | string {
  if (!record.includes('"')) return record.split(',');
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (record[i] === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = record.indexOf('"', j);
        if (q === -1) return `unclosed quote in field ${out.length + 1}`;
        value += record.slice(j, q);
        if (record[q + 1] === '"') {
          value += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      out.push(value);
      if (i === record.length) return out;
      if (record[i] !== ',')
        return `field ${out.length}: unexpected ${JSON.stringify(record[i])} after a closing quote`;
      i++;
    } else {
      const comma = record.indexOf(',', i);
      const value = record.slice(i, comma === -1 ? undefined : comma);
      if (value.includes('"'))
        return `field ${out.length + 1}: a quote inside an unquoted field (quote the whole field and double the quote)`;
      out.push(value);
      if (comma === -1) return out;
      i = comma + 1;
    }
  }
}
