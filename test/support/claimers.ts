// Claiming processes for the cap and crash tests: each is a separate OS process
// running its own gateway and PostgreSQL pool (claim-worker.ts), so claims
// race across processes the way they do across gateway pods.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./claim-worker.ts', import.meta.url));

export type ClaimResult = { status: number; code?: string; error?: string };

export interface Claimer {
  child: ChildProcess;
  /** Every answer so far, in arrival order: what a killed claimer had answered before it died. */
  answers: ClaimResult[];
  /** Claims one unit for each user at once; resolves when all are answered, or when the process dies. */
  run(offerId: string, users: string[]): Promise<ClaimResult[]>;
}

export function startClaimer(env: Record<string, string>, workerId: number, poolSize = 10): Promise<Claimer> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: { ...process.env, ...env, NEARCAST_WORKER_ID: String(workerId), NEARCAST_DB_POOL_SIZE: String(poolSize) },
    stdio: ['ignore', process.env['CLAIMER_LOG'] ? 'inherit' : 'ignore', 'inherit', 'ipc'],
  });
  const answers: ClaimResult[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('claimer did not start within 30 s')), 30_000);
    const early = (code: number | null) => reject(new Error(`claimer exited early (${code})`));
    child.once('exit', early);
    child.once('message', () => {
      clearTimeout(timer);
      child.off('exit', early);
      child.on('message', (m: { result?: ClaimResult }) => m.result && answers.push(m.result));
      resolve({
        child,
        answers,
        run: (offerId, users) =>
          new Promise<ClaimResult[]>((done) => {
            child.on('message', (m: { done?: boolean }) => m.done && done(answers));
            child.once('exit', () => done(answers));
            child.send({ go: true, offerId, users, stream: true });
          }),
      });
    });
  });
}
