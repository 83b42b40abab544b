import { isIPv4, isIPv6 } from 'node:net';

/**
 * The key per-address limits count a client under: an IPv4 address as is (an IPv4-mapped IPv6
 * address `::ffff:a.b.c.d` as its IPv4 address), an IPv6 address by its /64 prefix
 * (`2001:db8:0:1::/64`), since one host is usually given a whole /64 and could otherwise rotate
 * addresses to escape a limit. Anything else (a missing address) is returned unchanged.
 */
export function addressKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  const bare = address.replace(/%.*$/, ''); // zone id: fe80::1%eth0
  if (isIPv4(bare)) return bare;
  if (!isIPv6(bare)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped && isIPv4(mapped[1] as string)) return mapped[1] as string;
  return `${expandIPv6(bare).slice(0, 4).join(':')}::/64`;
}

/** The eight groups of a valid IPv6 address, without leading zeros (an IPv4 tail converted). */
function expandIPv6(address: string): string[] {
  let text = address.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16).toString(16));
}
