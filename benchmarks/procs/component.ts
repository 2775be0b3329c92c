// Runs one product component (matcher or dispatcher) exactly as its main.ts
// does, plus what the bench needs to watch it from outside: its Prometheus
// registry on a local port, served once it has joined its consumer group.
import { createServer } from 'node:http';
import { runMain } from '../../pipeline/main.ts';
import { startMatcher } from '../../processors/matcher/matcher.ts';
import { startDispatcher } from '../../processors/dispatcher/dispatcher.ts';

const [which, portArg] = process.argv.slice(2);
if (which !== 'matcher' && which !== 'dispatcher')
  throw new Error('usage: component.ts matcher|dispatcher <metricsPort>');

await runMain(which, async (rt) => {
  const running = which === 'matcher' ? await startMatcher(rt) : await startDispatcher(rt);
  await running.joined;
  const server = createServer((req, res) => {
    void rt.metrics.registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': rt.metrics.registry.contentType });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(Number(portArg), '127.0.0.1', resolve));
  return {
    async stop() {
      server.close();
      await running.stop();
    },
  };
});
