import { describe, expect, it } from 'vitest';
import { formatListen, parseListen, parseListenAddress } from '../../src/config/listen.js';
import { parseListen as serverParseListen } from '../../src/http/server.js';

describe('http.listen parsing', () => {
  it('accepts host:port, [ipv6]:port, :port and a port alone (127.0.0.1)', () => {
    expect(parseListen('127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseListen('0.0.0.0:0')).toEqual({ host: '0.0.0.0', port: 0 });
    expect(parseListen('localhost:65535')).toEqual({ host: 'localhost', port: 65535 });
    expect(parseListen('spout-1.internal.example:80')).toEqual({
      host: 'spout-1.internal.example',
      port: 80,
    });
    expect(parseListen('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    expect(parseListen('[::]:9')).toEqual({ host: '::', port: 9 });
    expect(parseListen('8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseListen(':8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseListen('0')).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('refuses everything else, with a reason that does not repeat the value', () => {
    const cases: Array<[string, RegExp]> = [
      ['localhost8080', /the port is missing/],
      ['localhost', /the port is missing/],
      ['1.2.3.4:99999', /the port must be a whole number from 0 to 65535/],
      ['65536', /the port must be a whole number/],
      ['123456', /the port must be a whole number/],
      ['localhost:', /the port must be a whole number/],
      ['localhost:80x', /the port must be a whole number/],
      ['localhost:-1', /the port must be a whole number/],
      ['localhost:8.5', /the port must be a whole number/],
      ['[::1:80', /no closing "\]"/],
      ['[::1]', /must be followed by :port/],
      ['[::1]8080', /must be followed by :port/],
      ['[nothost]:80', /not an IPv6 address/],
      ['::1:80', /an IPv6 address goes in brackets/],
      ['a:b:80', /more than one ":"/],
      ['1.2.3.999:80', /the host must be a hostname/],
      ['under_score:80', /the host must be a hostname/],
      ['-bad.example:80', /the host must be a hostname/],
      ['http://localhost:80', /the host must be a hostname|more than one/],
      [' 8080', /spaces/],
      ['localhost :80', /spaces/],
      ['', /empty/],
    ];
    for (const [value, reason] of cases) {
      const parsed = parseListenAddress(value);
      expect(parsed, value).toMatchObject({ ok: false, reason: expect.stringMatching(reason) });
      if (!parsed.ok && value.length > 5) expect(parsed.reason, value).not.toContain(value);
      expect(() => parseListen(value), value).toThrow(/http\.listen must be host:port/);
    }
  });

  it('is the parser the HTTP server uses', () => {
    expect(serverParseListen).toBe(parseListen);
    expect(serverParseListen('8080')).toEqual({ host: '127.0.0.1', port: 8080 });
  });

  it('formats an address back, IPv6 in brackets', () => {
    expect(formatListen({ host: '::1', port: 80 })).toBe('[::1]:80');
    expect(formatListen({ host: '127.0.0.1', port: 80 })).toBe('127.0.0.1:80');
  });
});
