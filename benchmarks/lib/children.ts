// Child processes of a bench run: each product component and each bench tool
// runs as its own node process (tsx as a loader, so the pid is the process
// doing the work and /proc shows its own CPU and memory).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Child {
  name: string;
  proc: ChildProcess;
  /** Last lines of stderr, for a useful message when it dies. */
  tail(): string;
}

export function startChild(
  name: string,
  script: string,
  args: string[],
  env: Record<string, string>,
  extraNodeArgs: string[] = [],
): Child {
  const proc = fork(`${ROOT}${script}`, args, {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    execArgv: ['--import', 'tsx', ...extraNodeArgs],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  track(proc);
  const lines: string[] = [];
  proc.stderr?.on('data', (b: Buffer) => {
    lines.push(...b.toString().split('\n').filter(Boolean));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  });
  return { name, proc, tail: () => lines.join('\n') };
}

export function nextMessage<T>(c: Child, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`${c.name}: no '${type}' message within ${timeoutMs} ms\n${c.tail()}`)),
      timeoutMs,
    );
    const onMsg = (m: { type?: string }) => {
      if (m?.type === type) done(undefined, m as T);
    };
    const onExit = (code: number | null) => done(new Error(`${c.name} exited (${code}) before '${type}'\n${c.tail()}`));
    function done(err?: Error, v?: T) {
      clearTimeout(timer);
      c.proc.off('message', onMsg);
      c.proc.off('exit', onExit);
      if (err) reject(err);
      else resolve(v as T);
    }
    c.proc.on('message', onMsg);
    c.proc.on('exit', onExit);
  });
}

/** SIGTERM (the components stop cleanly on it), then SIGKILL after a grace period. Only our own pid. */
export async function stopChild(c: Child, graceMs = 8000): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => c.proc.once('exit', () => resolve()));
  c.proc.kill('SIGTERM');
  const timer = setTimeout(() => c.proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Polls `fn` until it returns true or the time is up. */
export async function until(fn: () => Promise<boolean>, timeoutMs: number, intervalMs = 250): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return false;
}

const live = new Set<ChildProcess>();
/** If the orchestrator dies, its children (and only they) die with it. */
process.on('exit', () => {
  for (const p of live) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});
export function track(p: ChildProcess): void {
  live.add(p);
  p.once('exit', () => live.delete(p));
}
