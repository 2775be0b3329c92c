// nearcast components as real OS processes, started the way the container
// starts them, for tests about restarts and signals.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAINS = {
  gateway: '../../gateway/main.ts',
  matcher: '../../processors/matcher/main.ts',
  dispatcher: '../../processors/dispatcher/main.ts',
  'coupons-worker': '../../coupons/main.ts',
} as const;

export type Component = keyof typeof MAINS;

export interface Proc {
  component: Component;
  child: ChildProcess;
  exited: Promise<number | null>;
}

export function startComponent(component: Component, env: Record<string, string>): Proc {
  const main = fileURLToPath(new URL(MAINS[component], import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { component, child, exited };
}

/** SIGTERM, and the exit code once the process has shut down (fails after `ms`). */
export async function stopGracefully(p: Proc, ms = 30_000): Promise<number | null> {
  p.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) =>
      (timer = setTimeout(() => reject(new Error(`${p.component} did not stop within ${ms} ms of SIGTERM`)), ms)),
  );
  try {
    return await Promise.race([p.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
