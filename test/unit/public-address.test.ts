// The dispatcher's address filter: only public addresses are dialled, whatever DNS answers.
import { describe, expect, it } from 'vitest';
import { request } from 'node:https';
import type { lookup, LookupAddress } from 'node:dns';
import { isPublicAddress } from '../../pipeline/public-address.ts';
import { createGuardedAgent, isRefused, publicOnlyLookup } from '../../processors/dispatcher/guarded-agent.ts';

describe('public address filter', () => {
  it('refuses loopback, private, link-local, CGNAT, multicast and special ranges, in every spelling', () => {
    for (const ip of [
      '127.0.0.1',
      '127.255.1.2',
      '10.0.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '100.127.255.255',
      '0.0.0.0',
      '0.1.2.3',
      '224.0.0.1',
      '239.255.255.250',
      '255.255.255.255',
      '240.0.0.1',
      '192.0.0.8',
      '198.18.0.1',
      '::',
      '::1',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      'fe80::1%eth0',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:169.254.169.254',
      '::ffff:a00:1',
      '64:ff9b::a9fe:a9fe',
      '2002:7f00:1::',
      '2001:db8::1',
      '::127.0.0.1',
      'not-an-ip',
      '',
    ])
      expect(isPublicAddress(ip), ip).toBe(false);
  });

  it('lets public addresses through', () => {
    const ips = [
      '8.8.8.8',
      '142.250.185.74',
      '100.63.255.255',
      '100.128.0.1',
      '172.32.0.1',
      '2a00:1450:4001:82b::200a',
      '2606:4700::1111',
      '::ffff:8.8.8.8',
      '64:ff9b::808:808',
    ];
    for (const ip of ips) expect(isPublicAddress(ip), ip).toBe(true);
  });

  it('a lookup that only finds private addresses is a refusal; public ones are kept', async () => {
    const fake = (answers: LookupAddress[]) =>
      ((_h: string, _o: unknown, cb: (e: null, a: LookupAddress[]) => void) =>
        cb(null, answers)) as unknown as typeof lookup;
    const ask = (answers: LookupAddress[], all: boolean) =>
      new Promise<{ err: unknown; res: unknown }>((resolve) =>
        publicOnlyLookup(fake(answers))('push.example', { all }, (err, res) => resolve({ err, res })),
      );
    const internal = await ask(
      [
        { address: '169.254.169.254', family: 4 },
        { address: '::1', family: 6 },
      ],
      false,
    );
    expect(isRefused(internal.err)).toBe(true);
    const mixed = await ask(
      [
        { address: '10.0.0.1', family: 4 },
        { address: '8.8.8.8', family: 4 },
      ],
      true,
    );
    expect(mixed.res).toEqual([{ address: '8.8.8.8', family: 4 }]);
    expect((await ask([{ address: '8.8.4.4', family: 4 }], false)).res).toBe('8.8.4.4');
  });

  it('the agent refuses to dial a private IP literal or a name resolving to loopback', async () => {
    const agent = createGuardedAgent({}, false);
    const attempt = (url: string) =>
      new Promise<unknown>((resolve) => {
        const req = request(url, { agent, method: 'POST', timeout: 3000 }, () => resolve(undefined));
        req.on('error', resolve);
        req.end();
      });
    expect(isRefused(await attempt('https://127.0.0.1:9/x'))).toBe(true);
    expect(isRefused(await attempt('https://[::1]:9/x'))).toBe(true);
    expect(isRefused(await attempt('https://localhost:9/x'))).toBe(true);
    agent.destroy();
  });
});
