// An https Agent that connects only to public addresses. The check sits in the
// connection itself (the agent's DNS lookup, and its connect for IP literals),
// so the address that is checked is the address that is dialled: a DNS answer
// that changes between a check and the connect (rebinding) cannot slip past.
import { Agent, type AgentOptions } from 'node:https';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { isPublicAddress } from '../../pipeline/public-address.ts';

export const TARGET_REFUSED = 'ERR_NEARCAST_PUSH_TARGET_REFUSED';

export function refusedError(message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code: TARGET_REFUSED });
}

export function isRefused(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === TARGET_REFUSED;
}

/** dns.lookup keeping only public addresses; none left is a refusal, not a DNS failure. */
export function publicOnlyLookup(resolve: typeof dnsLookup = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const usable = addresses.filter((a) => isPublicAddress(a.address));
      if (usable.length === 0) {
        const found = addresses.map((a) => a.address).join(', ');
        return callback(refusedError(`${hostname} resolves to no public address (${found})`), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
      callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
}

type Connect = (options: { host?: string | null }, cb?: (err: Error | null, socket?: unknown) => void) => unknown;

/**
 * With `allowPrivate` (tests, demo, benchmarks only) the agent connects anywhere:
 * the local push stand-ins listen on 127.0.0.1.
 */
export function createGuardedAgent(options: AgentOptions, allowPrivate: boolean): Agent {
  if (allowPrivate) return new Agent(options);
  const agent = new Agent({ ...options, lookup: publicOnlyLookup() });
  const patched = agent as unknown as { createConnection: Connect };
  const connect = patched.createConnection.bind(agent);
  // IP-literal hosts skip the lookup entirely, so they are checked here.
  patched.createConnection = (opts, cb) => {
    const host = (opts.host ?? '').replace(/^\[|\]$/g, '');
    if (isIP(host) && !isPublicAddress(host)) {
      cb?.(refusedError(`${host} is not a public address`));
      return undefined;
    }
    return connect(opts, cb);
  };
  return agent;
}
