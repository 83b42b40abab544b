import { isIPv4, isIPv6 } from 'node:net';

/** Where the HTTP server listens: a host (name, IPv4 or IPv6 address, without brackets) and a port. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** The host used when `http.listen` gives only a port (`8080` or `:8080`). */
export const DEFAULT_LISTEN_HOST = '127.0.0.1';

/** The accepted forms, as messages name them. */
export const LISTEN_FORMS = 'host:port, [ipv6]:port or a port, e.g. 127.0.0.1:8080';

/**
 * The result of parsing `http.listen`. A failure's `reason` never repeats the value (it may have
 * come from an environment variable).
 */
export type ListenParse = ({ ok: true } & ListenAddress) | { ok: false; reason: string };

const PORT = /^\d{1,5}$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * Parse `http.listen` strictly: `host:port`, `[ipv6]:port`, `:port` or `port` (the last two mean
 * {@link DEFAULT_LISTEN_HOST}). The port is a whole number 0–65535; the host a hostname
 * (RFC 1123), an IPv4 address, or an IPv6 address in brackets. Nothing else: no spaces, no
 * scheme, no path. The one parser behind the config's `listen` format and the HTTP server.
 */
export function parseListenAddress(text: string): ListenParse {
  if (text === '') return fail('it is empty');
  if (/\s/.test(text)) return fail('it must not contain spaces');
  if (PORT.test(text)) return withPort(DEFAULT_LISTEN_HOST, text);
  if (text.startsWith('[')) {
    const m = /^\[([^\]]*)\]:(.*)$/.exec(text);
    if (!m) {
      return fail(
        text.includes(']')
          ? 'an IPv6 address in brackets must be followed by :port, e.g. [::1]:8080'
          : 'the IPv6 address has no closing "]", e.g. [::1]:8080',
      );
    }
    const [, host = '', port = ''] = m;
    if (!isIPv6(host)) return fail('the address in brackets is not an IPv6 address');
    return withPort(host, port);
  }
  const colon = text.lastIndexOf(':');
  if (colon === -1) {
    return fail(/^\d+$/.test(text) ? portReason : 'the port is missing');
  }
  const host = text.slice(0, colon);
  const port = text.slice(colon + 1);
  if (host === '') return withPort(DEFAULT_LISTEN_HOST, port);
  if (host.includes(':')) {
    return fail(
      isIPv6(host) || isIPv6(text)
        ? 'an IPv6 address goes in brackets, e.g. [::1]:8080'
        : 'it has more than one ":" (an IPv6 address goes in brackets, e.g. [::1]:8080)',
    );
  }
  if (!isHost(host))
    return fail('the host must be a hostname, an IPv4 address or an IPv6 address in brackets');
  return withPort(host, port);
}

/**
 * {@link parseListenAddress} for a value that is already valid (validated with the config):
 * throws when it is not.
 */
export function parseListen(text: string): ListenAddress {
  const parsed = parseListenAddress(text);
  if (!parsed.ok) throw new Error(`http.listen must be ${LISTEN_FORMS}; ${parsed.reason}`);
  return { host: parsed.host, port: parsed.port };
}

/** `host:port`, with an IPv6 host in brackets. */
export function formatListen({ host, port }: ListenAddress): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

const portReason = 'the port must be a whole number from 0 to 65535';

function withPort(host: string, port: string): ListenParse {
  if (!PORT.test(port) || Number(port) > 65535) return fail(portReason);
  return { ok: true, host, port: Number(port) };
}

function fail(reason: string): ListenParse {
  return { ok: false, reason };
}

/** An IPv4 address, or a hostname whose last label is not all digits (so 1.2.3.999 is refused). */
function isHost(host: string): boolean {
  if (isIPv4(host)) return true;
  if (host.length > 253) return false;
  const labels = host.split('.');
  return labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1] as string);
}
