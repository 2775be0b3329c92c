// The consumer half of the file engine: preferences rows are merged into the
// users' preferences (state changelog first, then Redis, via PreferenceStore);
// transactions are inserted into PostgreSQL once each (transaction_id is the
// key) and may redeem the user's live claims (card-linked.ts). All are
// idempotent, so a redelivered batch or a re-imported file changes nothing
// twice. A batch returns only after its writes are durable,
// and only then may the consumer runner commit its offsets.
import type { Runtime } from '../../pipeline/runtime.ts';
import { runConsumer, type Decoded, type Rejected } from '../../pipeline/consumer.ts';
import { topicNames } from '../../pipeline/kafka.ts';
import { PreferenceStore, type UserPreferences } from '../../users/user-preferences.ts';

/** Purchases older than this do not shape learnt interests (they have decayed to almost nothing anyway). */
import type { ImportedPreferences, ImportedTransaction } from '../../schemas/types.ts';
import { applyPreferenceRow, preferenceRowOf, transactionRowOf } from './messages.ts';
import { insertTransactions } from './transactions-db.ts';
import { redeemCardLinked } from './card-linked.ts';
import { learnInterests } from '../../coupons/index.ts';
import type { TransactionRow } from './rows.ts';

export interface ImportConsumer {
  joined: Promise<void>;
  stop(): Promise<void>;
}

export async function startImportConsumer(rt: Runtime, now: () => number = Date.now): Promise<ImportConsumer> {
  const topics = topicNames(rt.config.topics.prefix);
  const prefix = rt.config.topics.prefix;
  const store = new PreferenceStore(rt.redis, prefix, rt.changelog);
  const log = rt.log.child({ component: 'imports' });
  const common = {
    kafka: rt.kafka,
    codecs: rt.codecs,
    deadLetters: { topic: topics.deadLetters, publisher: rt.publisher },
    metrics: rt.metrics,
    log,
  };

  const preferences = async (items: Decoded<ImportedPreferences>[]): Promise<Rejected<ImportedPreferences>[]> => {
    const rejected: Rejected<ImportedPreferences>[] = [];
    const byUser = new Map<string, Array<ReturnType<typeof preferenceRowOf> & { ok: true }>>();
    for (const item of items) {
      const parsed = preferenceRowOf(item.value);
      if (!parsed.ok)
        rejected.push({ item, reason: `invalid preferences row (line ${item.value.line}): ${parsed.reason}` });
      else byUser.set(parsed.row.userId, [...(byUser.get(parsed.row.userId) ?? []), parsed]);
    }
    // Rows of a user applied in order (the topic is keyed by user), as one compare-and-set
    // against live writers; concurrent users share produce requests on the changelog.
    const t = now();
    // An erased user's rows are dropped, not dead-lettered (that would keep the id for weeks): erasure is final.
    const users = [...byUser];
    const written = await Promise.all(
      users.map(([userId, rows]) =>
        store.updateUnlessErased(userId, (current) =>
          rows.reduce<UserPreferences | undefined>((p, r) => applyPreferenceRow(p, r.row, t), current)!,
        ),
      ),
    );
    const erased = users.reduce((n, [, rows], i) => n + (written[i] === undefined ? rows.length : 0), 0);
    rt.metrics.importRows.inc({ kind: 'preferences', outcome: 'written' }, items.length - rejected.length - erased);
    rt.metrics.importRows.inc({ kind: 'preferences', outcome: 'erased' }, erased);
    rt.metrics.importRows.inc({ kind: 'preferences', outcome: 'rejected' }, rejected.length);
    return rejected;
  };

  /** Purchases feed the baseline preference model too (with claims and redemptions: one function computes all). */
  const learn = (userIds: string[]) => learnInterests(rt.pool, store, userIds, now());

  const transactions = async (items: Decoded<ImportedTransaction>[]): Promise<Rejected<ImportedTransaction>[]> => {
    const rejected: Rejected<ImportedTransaction>[] = [];
    const rows: Array<{ row: TransactionRow; importId: string; line: number }> = [];
    for (const item of items) {
      const parsed = transactionRowOf(item.value);
      if (!parsed.ok)
        rejected.push({ item, reason: `invalid transaction row (line ${item.value.line}): ${parsed.reason}` });
      else rows.push({ row: parsed.row, importId: item.value.importId, line: item.value.line });
    }
    const newRowsOf = await insertTransactions(rt.pool, rows);
    // Every row, not only the new ones: a crash after the insert and before these redemptions must not lose them.
    const redeemed = await redeemCardLinked(rt.pool, rows, now());
    for (const [outcome, n] of Object.entries(redeemed)) {
      if (n) rt.metrics.redemptions.inc({ outcome: `card_${outcome}` }, n);
    }
    await learn([...new Set(newRowsOf)]);
    rt.metrics.importRows.inc({ kind: 'transactions', outcome: 'written' }, newRowsOf.length);
    rt.metrics.importRows.inc({ kind: 'transactions', outcome: 'duplicate' }, rows.length - newRowsOf.length);
    rt.metrics.importRows.inc({ kind: 'transactions', outcome: 'rejected' }, rejected.length);
    return rejected;
  };

  const prefsConsumer = await runConsumer<ImportedPreferences>({
    ...common,
    groupId: `${prefix}imports-preferences`,
    topic: topics.importPreferences,
    stage: 'imports-preferences',
    processBatch: preferences,
  });
  const txConsumer = await runConsumer<ImportedTransaction>({
    ...common,
    groupId: `${prefix}imports-transactions`,
    topic: topics.importTransactions,
    stage: 'imports-transactions',
    processBatch: transactions,
  });
  return {
    joined: Promise.all([prefsConsumer.joined, txConsumer.joined]).then(() => undefined),
    async stop() {
      await Promise.allSettled([prefsConsumer.consumer.disconnect(), txConsumer.consumer.disconnect()]);
    },
  };
}
