// `nearcast token`: a bearer token signed with NEARCAST_TOKEN_SECRET, for trying
// the API by hand and for operators' scripts. It goes through the same signer
// and the same claim rules as every other token (gateway/auth.ts).
import { ROLES, authenticate, secretKey, signToken, type Role } from '../gateway/auth.ts';
import type { Config } from '../pipeline/config.ts';
import { CliError } from './context.ts';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
const MAX_TTL_SECONDS = 365 * 86_400;

/** "90s", "15m", "1h", "30d" → seconds. */
export function parseTtl(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  const seconds = m ? Number(m[1]) * UNITS[m[2]!]! : NaN;
  if (!(seconds > 0 && seconds <= MAX_TTL_SECONDS)) {
    throw new CliError(`--ttl ${text}: give a whole number with s, m, h or d, at most 365d (e.g. 1h)`);
  }
  return seconds;
}

export interface TokenOptions {
  user: string;
  role: string;
  ttl: string;
  merchants?: string;
}

export async function makeToken(config: Config, o: TokenOptions): Promise<string> {
  if (!ROLES.includes(o.role as Role)) throw new CliError(`--role ${o.role}: one of ${ROLES.join(', ')}`);
  if (o.merchants !== undefined && o.role !== 'merchant') throw new CliError('--merchants is for merchant tokens');
  const merchants = o.merchants?.split(',').map((m) => m.trim());
  const key = secretKey(config.auth.tokenSecret);
  const token = await signToken(key, { userId: o.user, role: o.role as Role, merchants }, parseTtl(o.ttl));
  // Verified as the gateway would: a token this command prints is one the gateway accepts.
  await authenticate(key, `Bearer ${token}`).catch((err: Error) => {
    throw new CliError(`the token would be refused: ${(err.cause as Error | undefined)?.message ?? err.message}`);
  });
  return token;
}
