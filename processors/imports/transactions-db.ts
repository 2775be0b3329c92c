// Imported transactions in PostgreSQL: one statement per consumed batch
// (arrays unnested server-side), duplicates skipped by the primary key.
import type pg from 'pg';
import { query } from '../../coupons/index.ts';
import type { TransactionRow } from './rows.ts';

export interface TransactionInsert {
  row: TransactionRow;
  importId: string;
  line: number;
}

/** Inserts the rows not stored yet; returns the users of the new rows (one entry per row). Durable (committed) when it resolves. */
export async function insertTransactions(pool: pg.Pool, items: readonly TransactionInsert[]): Promise<string[]> {
  if (items.length === 0) return [];
  const res = await query<{ user_id: string }>(
    pool,
    `INSERT INTO imported_transactions (transaction_id, user_id, amount_minor, currency, merchant_id, category, occurred_at, import_id, source_line)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::char(3)[], $5::text[], $6::text[], $7::timestamptz[], $8::text[], $9::bigint[])
     ON CONFLICT (transaction_id) DO NOTHING
     RETURNING user_id`,
    [
      items.map((i) => i.row.transactionId),
      items.map((i) => i.row.userId),
      items.map((i) => i.row.amountMinor),
      items.map((i) => i.row.currency),
      items.map((i) => i.row.merchantId),
      items.map((i) => i.row.category),
      items.map((i) => new Date(i.row.occurredAt).toISOString()),
      items.map((i) => i.importId),
      items.map((i) => i.line),
    ],
  );
  return res.rows.map((r) => r.user_id);
}
