// The outcome of one step. Anything but `ok` stops there: `drop` is expected
// and counted (a stale ping), `dlq` is a defect in the input that a human
// should see (it goes to the dead-letter topic with the reason). Batch steps
// (pipeline/steps.ts) return one for the whole batch and report the results
// of single messages to the batch.

export type StepResult<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'drop'; readonly reason: DropReason }
  | { readonly kind: 'dlq'; readonly reason: string };

/** `empty` is only ever a batch step's result (nothing left to process), never a message's, so it is never counted. */
export type DropReason =
  'stale' | 'expired' | 'no_subscription' | 'duplicate' | 'inactive' | 'erased' | 'in_doubt' | 'empty';

export const ok = <T>(value: T): StepResult<T> => ({ kind: 'ok', value });
export const drop = (reason: DropReason): StepResult<never> => ({ kind: 'drop', reason });
export const dlq = (reason: string): StepResult<never> => ({ kind: 'dlq', reason });
