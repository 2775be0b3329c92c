// Is an IP address one the public internet routes to? Push services live
// there; loopback, private, link-local (cloud metadata at 169.254.169.254),
// carrier NAT, multicast and the other special-purpose ranges never hold one,
// so the dispatcher refuses to connect to them whatever DNS answers. Pure code.
import { BlockList, isIP } from 'node:net';

const V4_SPECIAL: Array<[string, number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
// Global unicast (2000::/3) less its special-purpose blocks; everything else in IPv6 is refused
// (::, ::1, fc00::/7 unique-local, fe80::/10 link-local, ff00::/8 multicast, 64:ff9b:1::/48, ...).
const V6_GLOBAL: [string, number] = ['2000::', 3];
const V6_SPECIAL: Array<[string, number]> = [
  ['2001::', 23],
  ['2001:db8::', 32],
  ['3fff::', 20],
];

const v4Blocked = new BlockList();
for (const [net, prefix] of V4_SPECIAL) v4Blocked.addSubnet(net, prefix, 'ipv4');
const v6Global = new BlockList();
v6Global.addSubnet(V6_GLOBAL[0], V6_GLOBAL[1], 'ipv6');
const v6Blocked = new BlockList();
for (const [net, prefix] of V6_SPECIAL) v6Blocked.addSubnet(net, prefix, 'ipv6');

/** The eight 16-bit groups of an IPv6 address (dotted IPv4 tail allowed), or undefined. */
function groups(v6: string): number[] | undefined {
  let s = v6.replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const b = dotted[1]!.split('.').map(Number);
    const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
    s = `${s.slice(0, -dotted[1]!.length)}${hex(b[0]!, b[1]!)}:${hex(b[2]!, b[3]!)}`;
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  const all = [...h, ...fill, ...t].map((g) => parseInt(g, 16));
  return all.length === 8 && all.every((n) => Number.isInteger(n)) ? all : undefined;
}

const v4Of = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/** The IPv4 address an IPv6 address carries (mapped ::ffff:0:0/96, NAT64 64:ff9b::/96, 6to4 2002::/16). */
function embeddedV4(g: number[]): string | undefined {
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeros(5) && g[5] === 0xffff) return v4Of(g[6]!, g[7]!);
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return v4Of(g[6]!, g[7]!);
  if (g[0] === 0x2002) return v4Of(g[1]!, g[2]!);
  return undefined;
}

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !v4Blocked.check(address, 'ipv4');
  if (family !== 6) return false;
  const g = groups(address);
  if (!g) return false;
  const v4 = embeddedV4(g);
  if (v4 !== undefined) return isPublicAddress(v4);
  return v6Global.check(address.replace(/%.*$/, ''), 'ipv6') && !v6Blocked.check(address.replace(/%.*$/, ''), 'ipv6');
}
