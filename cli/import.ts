// `nearcast import preferences|transactions --file F`: the file engine's
// producer (processors/imports/importer.ts) with a progress bar on a terminal,
// plain progress lines otherwise, Ctrl-C that stops cleanly, and a summary.
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Config } from '../pipeline/config.ts';
import { runImport, type ImportSummary } from '../processors/imports/importer.ts';
import { progressBar, progressLine } from '../processors/imports/progress.ts';
import type { ImportKind } from '../processors/imports/rows.ts';

interface ImportCliOptions {
  file: string;
  format?: string;
  rejects?: string;
  checkpointDir?: string;
  restart?: boolean;
  batchRows: number;
  maxRowsPerSecond: number;
  progressSeconds: number;
}

const positive = (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('must be a positive integer');
  return Number(v);
};
const nonNegative = (v: string) => {
  if (!/^\d+(\.\d+)?$/.test(v)) throw new InvalidArgumentError('must be a non-negative number');
  return Number(v);
};

export function registerImport(program: Command, config: () => Config): void {
  const cmd = program
    .command('import')
    .description(
      'bulk-import a preferences or transactions file (CSV or NDJSON) through Kafka; resumable, bad rows reported',
    );
  for (const kind of ['preferences', 'transactions'] as const) {
    cmd
      .command(kind)
      .description(
        kind === 'preferences'
          ? 'merge users’ preferences (interests, segments, consent, quiet hours, time zone, locale)'
          : 'purchase transactions (stored once per transactionId)',
      )
      .requiredOption('-f, --file <file>', 'the file to import')
      .addOption(
        new Option('--format <format>', 'file format (default: from the file name)').choices(['csv', 'ndjson']),
      )
      .option('--rejects <path>', 'bad-row report (NDJSON, or CSV when the name ends in .csv)', undefined)
      .option('--checkpoint-dir <dir>', 'where the resume checkpoint is kept (default: beside the file)')
      .option('--restart', 'ignore the checkpoint and start from the first line')
      .option('--batch-rows <n>', 'rows per Kafka produce request', positive, 2000)
      .option('--max-rows-per-second <n>', 'throttle; 0 = as fast as Kafka takes them', nonNegative, 0)
      .option('--progress-seconds <n>', 'seconds between progress lines when not on a terminal', nonNegative, 5)
      .addHelpText(
        'after',
        `\nColumns and formats: docs/imports.md. A re-run of the same file resumes after the last acknowledged line.\n\nExample:\n  nearcast import ${kind} --file ${kind}.csv`,
      )
      .action(async (o: ImportCliOptions) => {
        process.exitCode = await importCommand(config(), kind, o);
      });
  }
}

async function importCommand(config: Config, kind: ImportKind, o: ImportCliOptions): Promise<number> {
  const tty = process.stderr.isTTY === true;
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130); // a second Ctrl-C: give up waiting
    process.stderr.write(
      '\nstopping: waiting for Kafka to acknowledge what was sent, then saving the checkpoint (Ctrl-C again to quit now)\n',
    );
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const summary = await runImport(config, {
      kind,
      file: o.file,
      format: o.format,
      rejectsPath: o.rejects,
      checkpointDir: o.checkpointDir,
      restart: o.restart,
      batchRows: o.batchRows,
      maxRowsPerSecond: o.maxRowsPerSecond,
      signal: abort.signal,
      progressEveryMs: tty ? 200 : o.progressSeconds * 1000,
      onProgress: (p, final) => {
        if (tty) process.stderr.write(`\r${progressBar(p, Date.now())}${final ? '\n' : ''}`);
        else if (!final) console.log(progressLine(p, Date.now()));
      },
    });
    printSummary(kind, summary);
    return summary.interrupted ? 130 : 0;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

function printSummary(kind: ImportKind, s: ImportSummary): void {
  if (s.alreadyDone) {
    console.log(
      `already imported (import ${s.importId}): ${s.published} ${kind} rows published, ${s.rejected} rejected; --restart imports it again`,
    );
    return;
  }
  const rate = s.seconds > 0 ? Math.round(s.rowsThisRun / s.seconds) : s.rowsThisRun;
  const from = s.resumedAfterLine > 0 ? ` (resumed after line ${s.resumedAfterLine})` : '';
  console.log(
    `${s.interrupted ? 'interrupted' : 'done'}: import ${s.importId}${from}: ${s.published} ${kind} rows published, ${s.rejected} rejected, through line ${s.lastLine}, ${rate} rows/s`,
  );
  if (s.rejected > 0) console.log(`rejected rows (line, reason): ${s.rejectsPath}`);
  if (s.interrupted) console.log(`run the same command again to resume after line ${s.lastLine}`);
}
