// A separate OS process with its own gateway and PostgreSQL pool that fires
// claims when told to: the concurrency test runs several of these at once.
// Protocol (IPC): child → {ready}; parent → {go, offerId, users, stream?};
// child → {result} per answer when streaming (a crash test kills it midway),
// then {done, results: [{status, code?, error?}]}.
import { loadConfig } from '../../pipeline/config.ts';
import { createRuntime } from '../../pipeline/runtime.ts';
import { buildGateway } from '../../gateway/app.ts';
import { secretKey, signToken } from '../../gateway/auth.ts';

const config = loadConfig();
const rt = await createRuntime(config, { name: `claimer-${config.coupons.workerId}` });
const app = await buildGateway(rt);
const key = secretKey(config.auth.tokenSecret);

process.on('message', (msg: { go: true; offerId: string; users: string[]; stream?: boolean }) => {
  void (async () => {
    const tokens = await Promise.all(msg.users.map((u) => signToken(key, { userId: u, role: 'device' })));
    const results = await Promise.all(
      tokens.map(async (t) => {
        const res = await app.inject({
          method: 'POST',
          url: `/v1/offers/${msg.offerId}/claims`,
          headers: { authorization: `Bearer ${t}` },
        });
        const body = res.json();
        const result = {
          status: res.statusCode,
          code: body.code as string | undefined,
          error: body.error?.code as string | undefined,
        };
        if (msg.stream) process.send!({ result });
        return result;
      }),
    );
    process.send!({ done: true, results });
    await app.close();
    await rt.close();
    process.exit(0);
  })();
});
process.send!({ ready: true });
