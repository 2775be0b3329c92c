// Process entry helper: load config, build the runtime, start a component, and
// stop it cleanly on SIGTERM/SIGINT. A bad config is one clear line, not a stack.
import { loadConfig, type Config } from './config.ts';
import { isNearcastError } from './errors.ts';
import { createRuntime, type Runtime } from './runtime.ts';
import { startHealthServer, type ReadyChecks } from './health-server.ts';

export interface Running {
  stop(): Promise<void>;
}

/**
 * `ready`: the component's own readiness conditions, added while it starts.
 * The health server listens before the component starts, so probes see
 * "not ready" (not a refused connection) while it catches up.
 */
export async function runMain(
  name: string,
  start: (rt: Runtime, config: Config, ready: ReadyChecks) => Promise<Running>,
): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error(`nearcast ${name}: ${isNearcastError(err) ? err.message : String(err)}`);
    process.exit(2);
  }
  const rt = await createRuntime(config, { name });
  const ready: ReadyChecks = new Map();
  const health = config.ops.health
    ? await startHealthServer(rt, config.ops.health.host, config.ops.health.port, ready)
    : undefined;
  const running = await start(rt, config, ready);
  rt.log.info({ component: name, healthPort: health?.port }, 'started');
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    rt.log.info({ component: name, signal }, 'stopping');
    health?.markStopping();
    // A stop that hangs (a broker gone for good) must not outlive the pod's grace period silently.
    const deadline = setTimeout(() => {
      rt.log.error({ component: name, timeoutMs: config.ops.shutdownTimeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, config.ops.shutdownTimeoutMs);
    deadline.unref();
    await running.stop();
    await rt.close();
    await health?.close();
    rt.log.info({ component: name }, 'stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
