// The producer half of the file engine (`nearcast import`): streams a file
// line by line, validates each row, publishes valid rows to the kind's topic
// (Avro, key userId, acks from all replicas) and bad rows to the rejects
// report, and checkpoints the last line whose batch Kafka acknowledged, so a
// re-run after a crash resumes there. Rows re-sent after a crash (sent, not
// yet checkpointed) are harmless: the consumer side is idempotent.
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Partitioners, type Message } from 'kafkajs';
import type { Config } from '../../pipeline/config.ts';
import { NearcastError } from '../../pipeline/errors.ts';
import { createKafka, ensureTopics, topicNames } from '../../pipeline/kafka.ts';
import { createLogger } from '../../pipeline/logger.ts';
import { SchemaCodecs, type Codec } from '../../pipeline/registry.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { AckWatermark, resumePlan, shouldSave, type Batch, type Checkpoint } from './checkpoint.ts';
import { RejectsReport, checkpointPath, importIdOf, loadCheckpoint, saveCheckpoint } from './checkpoint-file.ts';
import { RowDecoder, formatOf, type ImportFormat } from './decode.ts';
import { preferenceMessage, transactionMessage } from './messages.ts';
import type { ImportKind, PreferenceRow, TransactionRow } from './rows.ts';
import type { ProgressState } from './progress.ts';

export interface ImportOptions {
  kind: ImportKind;
  file: string;
  format?: string;
  /** Default `<file>.rejects.ndjson`; a name ending in .csv gets a CSV report. */
  rejectsPath?: string;
  /** Where the checkpoint lives; default the file's directory. */
  checkpointDir?: string;
  /** Ignore any checkpoint and import from the first line. */
  restart?: boolean;
  batchRows?: number;
  maxInFlight?: number;
  /** Throttle (rows per second) so an import does not crowd out live traffic; 0 = unlimited. */
  maxRowsPerSecond?: number;
  checkpointEveryMs?: number;
  /** Called about every `progressEveryMs` and once at the end. */
  onProgress?: (p: ProgressState, final: boolean) => void;
  progressEveryMs?: number;
  /** Aborting stops reading, waits for what is in flight and saves the checkpoint (Ctrl-C). */
  signal?: AbortSignal;
  now?: () => number;
}

export interface ImportSummary {
  importId: string;
  format: ImportFormat;
  published: number;
  rejected: number;
  /** Line the run started after (0 = from the beginning). */
  resumedAfterLine: number;
  lastLine: number;
  rowsThisRun: number;
  seconds: number;
  rejectsPath: string;
  checkpointPath: string;
  alreadyDone: boolean;
  interrupted: boolean;
}

export async function runImport(config: Config, o: ImportOptions): Promise<ImportSummary> {
  const now = o.now ?? Date.now;
  const format = formatOf(o.file, o.format);
  let totalBytes: number;
  try {
    totalBytes = statSync(o.file).size;
  } catch (err) {
    throw new NearcastError(
      'VALIDATION_FAILED',
      `cannot read ${o.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const importId = importIdOf(o.file, o.kind);
  const cpPath = checkpointPath(o.checkpointDir, o.file, importId);
  const plan = resumePlan(loadCheckpoint(cpPath), importId, o.restart ?? false);
  const rejectsPath = o.rejectsPath ?? `${o.file}.rejects.ndjson`;
  const base = { importId, format, resumedAfterLine: plan.afterLine, rejectsPath, checkpointPath: cpPath };
  if (plan.alreadyDone) {
    return {
      ...base,
      published: plan.published,
      rejected: plan.rejected,
      lastLine: plan.afterLine,
      rowsThisRun: 0,
      seconds: 0,
      alreadyDone: true,
      interrupted: false,
    };
  }

  const kafka = createKafka(config, createLogger('silent', 'nearcast-import'), '-import');
  const admin = kafka.admin();
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
  });
  try {
    await Promise.all([admin.connect(), producer.connect()]);
    await ensureTopics(admin, config);
  } catch (err) {
    await Promise.allSettled([admin.disconnect(), producer.disconnect()]);
    throw new NearcastError(
      'BROKER_UNAVAILABLE',
      `cannot reach Kafka at ${config.kafka.brokers.join(',')}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const report = new RejectsReport(rejectsPath, /\.csv$/i.test(rejectsPath) ? 'csv' : 'ndjson', plan.reportBytes);
  try {
    const topics = topicNames(config.topics.prefix);
    const codecs = new SchemaCodecs(config.registryUrl);
    const encode = await encoderFor(o.kind, codecs, topics, importId);
    const topic = o.kind === 'preferences' ? topics.importPreferences : topics.importTransactions;

    const started = now();
    const state: ProgressState = {
      bytesRead: 0,
      totalBytes,
      published: plan.published,
      rejected: plan.rejected,
      rowsThisRun: 0,
      startedTs: started,
    };
    const watermark = new AckWatermark(plan.afterLine);
    let lastSaved = started;
    const save = (done: boolean) => {
      const c: Checkpoint = {
        version: 1,
        importId,
        kind: o.kind,
        line: watermark.line,
        published: state.published,
        rejected: state.rejected,
        reportBytes: report.size,
        done,
        updatedTs: now(),
      };
      saveCheckpoint(cpPath, c);
      lastSaved = c.updatedTs;
    };
    // Only complete batches reach the report and the counts, so the checkpoint and the report always agree.
    const complete = (seq: number) => {
      for (const b of watermark.ack(seq)) {
        report.append(b.rejects);
        state.published += b.published;
        state.rejected += b.rejects.length;
      }
      if (shouldSave(lastSaved, now(), o.checkpointEveryMs ?? 1000, false)) save(false);
    };

    let failure: unknown;
    const inFlight = new Map<number, Promise<void>>();
    let seq = 0;
    let batch: Batch = { seq, endLine: plan.afterLine, published: 0, rejects: [] };
    let messages: Message[] = [];
    const send = () => {
      const b = batch;
      const msgs = messages;
      watermark.begin(b);
      const p = (
        msgs.length ? producer.send({ topic, messages: msgs, acks: -1 }).then(() => undefined) : Promise.resolve()
      )
        .then(() => complete(b.seq))
        .catch((err: unknown) => void (failure ??= err))
        .finally(() => inFlight.delete(b.seq));
      inFlight.set(b.seq, p);
      seq++;
      batch = { seq, endLine: b.endLine, published: 0, rejects: [] };
      messages = [];
    };

    const input = createReadStream(o.file, { highWaterMark: 1 << 20 });
    const lines = createInterface({ input, crlfDelay: Infinity });
    const decoder = new RowDecoder(o.kind, format, { afterLine: plan.afterLine });
    const batchRows = o.batchRows ?? 2000;
    const maxInFlight = o.maxInFlight ?? 4;
    let lineNo = 0;
    let lastProgress = started;
    try {
      for await (const text of lines) {
        lineNo++;
        const item = decoder.push(text, lineNo);
        if (item) {
          if ('reason' in item) batch.rejects.push({ line: item.line, reason: item.reason });
          else {
            messages.push({ key: item.row.userId, value: await encode(item.line, item.row) });
            batch.published++;
          }
          batch.endLine = item.endLine;
          state.rowsThisRun++;
        }
        if (messages.length >= batchRows || batch.rejects.length >= batchRows) {
          send();
          while (inFlight.size >= maxInFlight) await Promise.race(inFlight.values());
        }
        if (failure || o.signal?.aborted) break;
        if (lineNo % 256 === 0) {
          state.bytesRead = input.bytesRead;
          const t = now();
          if (o.onProgress && t - lastProgress >= (o.progressEveryMs ?? 250)) {
            lastProgress = t;
            o.onProgress(state, false);
          }
          await throttle(state, o.maxRowsPerSecond ?? 0, t);
        }
      }
      const interrupted = Boolean(failure || o.signal?.aborted);
      if (!interrupted) {
        const tail = decoder.finish(lineNo);
        if (tail && 'reason' in tail) batch.rejects.push({ line: tail.line, reason: tail.reason });
        batch.endLine = Math.max(batch.endLine, lineNo);
      }
      if (messages.length || batch.rejects.length || batch.endLine > watermark.line) send();
      await Promise.all(inFlight.values());
      if (failure)
        throw new NearcastError(
          'BROKER_UNAVAILABLE',
          `Kafka did not acknowledge a batch: ${(failure as Error).message}; re-run to resume after line ${watermark.line}`,
          { cause: failure },
        );
      save(!interrupted);
      state.bytesRead = interrupted ? input.bytesRead : totalBytes;
      o.onProgress?.(state, true);
      return {
        ...base,
        published: state.published,
        rejected: state.rejected,
        lastLine: watermark.line,
        rowsThisRun: state.rowsThisRun,
        seconds: (now() - started) / 1000,
        alreadyDone: false,
        interrupted,
      };
    } finally {
      lines.close();
      input.destroy();
      if (failure) save(false);
    }
  } finally {
    report.close();
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
  }
}

type Encoder = (line: number, row: PreferenceRow | TransactionRow) => Promise<Buffer>;

async function encoderFor(
  kind: ImportKind,
  codecs: SchemaCodecs,
  topics: ReturnType<typeof topicNames>,
  importId: string,
): Promise<Encoder> {
  if (kind === 'preferences') {
    const codec: Codec<unknown> = await codecs.forTopic(topics.importPreferences, TOPICS.importPreferences.valueSchema);
    return (line, row) => codec.encode(preferenceMessage(importId, line, row as PreferenceRow));
  }
  const codec: Codec<unknown> = await codecs.forTopic(topics.importTransactions, TOPICS.importTransactions.valueSchema);
  return (line, row) => codec.encode(transactionMessage(importId, line, row as TransactionRow));
}

async function throttle(s: ProgressState, maxPerSecond: number, t: number): Promise<void> {
  if (maxPerSecond <= 0) return;
  const aheadMs = (s.rowsThisRun / maxPerSecond) * 1000 - (t - s.startedTs);
  if (aheadMs > 5) await new Promise((r) => setTimeout(r, Math.min(aheadMs, 1000)));
}
