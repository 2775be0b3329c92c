// The checkpoint and rejects files on disk. Writes are synchronous and the
// checkpoint is replaced by rename, so a kill -9 leaves either the old or the
// new checkpoint, never half of one.
import {
  closeSync,
  existsSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { Checkpoint, Reject } from './checkpoint.ts';

const SAMPLE = 1 << 20;

/**
 * The import id: file name, size, and the first and last MiB of content.
 * Hashing the whole file would read it twice; a changed file almost always
 * changes its size or its ends, and then it is a new import.
 */
export function importIdOf(file: string, kind: string): string {
  const size = statSync(file).size;
  const h = createHash('sha256').update(`${kind}\u0000${basename(file)}\u0000${size}\u0000`);
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(SAMPLE, size));
    h.update(buf.subarray(0, readAt(fd, buf, 0)));
    if (size > SAMPLE) h.update(buf.subarray(0, readAt(fd, buf, Math.max(SAMPLE, size - SAMPLE))));
  } finally {
    closeSync(fd);
  }
  return h.digest('hex').slice(0, 24);
}

function readAt(fd: number, buf: Buffer, position: number): number {
  return readSync(fd, buf, 0, buf.length, position);
}

export function checkpointPath(dir: string | undefined, file: string, importId: string): string {
  return join(dir ?? dirname(file), `.${basename(file)}.${importId}.checkpoint.json`);
}

export function loadCheckpoint(path: string): Checkpoint | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Checkpoint;
  } catch {
    return undefined; // unreadable: start over (the consumer absorbs the repeats)
  }
}

export function saveCheckpoint(path: string, c: Checkpoint): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(c));
  renameSync(tmp, path);
}

/** The rejects report: NDJSON `{"line":N,"reason":"…"}` or CSV `line,reason`, appended as batches complete. */
export class RejectsReport {
  private readonly fd: number;
  private bytes: number;

  constructor(
    readonly path: string,
    readonly format: 'ndjson' | 'csv',
    resumeAtBytes: number,
  ) {
    this.fd = openSync(path, existsSync(path) ? 'r+' : 'w+');
    ftruncateSync(this.fd, resumeAtBytes);
    this.bytes = resumeAtBytes;
    if (resumeAtBytes === 0 && format === 'csv') this.write('line,reason\n');
  }

  append(rejects: readonly Reject[]): void {
    if (rejects.length === 0) return;
    const text = rejects
      .map((r) =>
        this.format === 'csv'
          ? `${r.line},"${r.reason.replace(/"/g, '""')}"\n`
          : `${JSON.stringify({ line: r.line, reason: r.reason })}\n`,
      )
      .join('');
    this.write(text);
  }

  private write(text: string) {
    const buf = Buffer.from(text);
    writeSync(this.fd, buf, 0, buf.length, this.bytes);
    this.bytes += buf.length;
  }

  get size(): number {
    return this.bytes;
  }

  close(): void {
    closeSync(this.fd);
  }
}
