// The outcome of one step for one message. Anything but `ok` stops the message
// there: `drop` is expected and counted (a stale ping), `dlq` is a defect in the
// input that a human should see (it goes to the dead-letter topic with the reason).

export type StepResult<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'drop'; readonly reason: DropReason }
  | { readonly kind: 'dlq'; readonly reason: string };

export type DropReason = 'stale' | 'expired' | 'no_subscription' | 'duplicate' | 'inactive';

export const ok = <T>(value: T): StepResult<T> => ({ kind: 'ok', value });
export const drop = (reason: DropReason): StepResult<never> => ({ kind: 'drop', reason });
export const dlq = (reason: string): StepResult<never> => ({ kind: 'dlq', reason });
