import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  classifyFailure,
  createConnection,
  type ConnectFailure,
} from '../../../../plugins/inputs/mempool/connection.js';
import type { InputStatus } from '../../../../src/bus/events.js';
import { startFakeMempool, isTrackMempool } from '../../../helpers/fake-mempool.js';
import { runYaml } from '../../../helpers/run-yaml.js';
import { until } from '../../../helpers/kernel.js';
import { testScope } from '../../../helpers/scope.js';

const scope = testScope();

type Run = Awaited<ReturnType<typeof runYaml>>;

/** A port on 127.0.0.1 nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** A TCP server on 127.0.0.1 that does `onSocket` with every connection; closed after the test. */
async function tcpServer(onSocket: (socket: Socket) => void): Promise<{ port: number }> {
  const sockets = new Set<Socket>();
  const server: Server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    onSocket(socket);
  });
  server.listen(0, '127.0.0.1');
  await scope.later(
    once(server, 'listening').then(() => server),
    (s) => {
      for (const socket of sockets) socket.destroy();
      return new Promise((r) => s.close(r));
    },
  );
  return { port: (server.address() as AddressInfo).port };
}

/** An HTTP server on 127.0.0.1 that answers every WebSocket upgrade with 403. */
async function forbidding(): Promise<{ port: number }> {
  const server = createHttpServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (_req, socket) => {
    socket.on('error', () => {});
    socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  server.listen(0, '127.0.0.1');
  await scope.later(
    once(server, 'listening').then(() => server),
    (s) => {
      s.closeAllConnections();
      return new Promise((r) => s.close(r));
    },
  );
  return { port: (server.address() as AddressInfo).port };
}

/** Run one `mempool` input named feed (quick backoff) through the real kernel; stopped after the test. */
async function run(url: string, extra = ''): Promise<Run> {
  return scope.later(
    runYaml(
      `inputs:\n  feed:\n    use: mempool\n    url: "${url}"\n    backoffMin: 5ms\n    backoffMax: 20ms\n${extra}`,
    ),
    (r) => r.stop(),
  );
}

const statuses = (r: Run) => r.of('input.status').map((e) => e.data as InputStatus);
const failedAttempts = (r: Run) =>
  statuses(r).filter((s) => s.state === 'disconnected' && s.reason?.startsWith('cannot connect')).length;
const lines = (r: Run, level: string) => r.log.lines.filter((l) => l.level === level);

async function failures(r: Run): Promise<Record<string, number>> {
  const metric = await r.kernel.metrics.registry.getSingleMetric('spout_input_connect_failures_total')?.get();
  return Object.fromEntries(
    (metric?.values ?? [])
      .filter((v) => v.labels.instance === 'feed')
      .map((v) => [String(v.labels.reason), v.value]),
  );
}

/**
 * Let `n` attempts fail, stop the kernel (so nothing moves), and check what every failing input
 * must show: one WARN naming the URL and the cause, the failures counted by reason (one per
 * attempt), and each attempt's `input.status` saying why.
 */
async function expectFailures(r: Run, url: string, reason: string, cause: RegExp, n = 3) {
  await until(() => failedAttempts(r) >= n, 5000, `${n} failed attempts`);
  await r.stop();
  const warns = lines(r, 'warn');
  expect(warns).toHaveLength(1);
  expect(warns[0]).toMatchObject({ instance: 'feed', url, reason, retryInMs: expect.any(Number) });
  expect(String(warns[0]?.msg)).toMatch(new RegExp(`^cannot connect to ${url.replace(/[.?]/g, '\\$&')}: `));
  expect(String(warns[0]?.msg)).toMatch(cause);
  expect(String(warns[0]?.cause)).toMatch(cause);
  expect(await failures(r)).toEqual({ [reason]: failedAttempts(r) });
  const reasons = statuses(r)
    .filter((s) => s.state === 'disconnected' && s.reason !== 'stopped')
    .map((s) => s.reason);
  for (const text of reasons) {
    expect(text).toMatch(cause);
    expect(text).toMatch(new RegExp(`^cannot connect: .*\\(${reason}\\)$`));
  }
  // Later failures of the same kind are at debug level, with the same fields.
  expect(r.log.lines.filter((l) => l.level === 'debug' && l.reason === reason).length).toBeGreaterThanOrEqual(
    n - 1,
  );
}

describe('mempool input: why it is not connected', () => {
  it('an unresolvable host: WARN with the URL and getaddrinfo ENOTFOUND, counted as dns (fake DNS, no query leaves)', async () => {
    const dns = scope.fakeDns();
    dns.answer('no-such-mempool.test', 'ENOTFOUND');
    const url = 'ws://no-such-mempool.test:8999/api/v1/ws';
    const r = await run(url);
    await expectFailures(r, url, 'dns', /getaddrinfo ENOTFOUND no-such-mempool\.test/);
    expect(dns.lookups('no-such-mempool.test')).toBe(failedAttempts(r));
  });

  it('a closed port: connect ECONNREFUSED, counted as refused', async () => {
    const port = await closedPort();
    const url = `ws://127.0.0.1:${port}/api/v1/ws`;
    await expectFailures(
      await run(url),
      url,
      'refused',
      new RegExp(`connect ECONNREFUSED 127\\.0\\.0\\.1:${port}`),
    );
  });

  it('a server answering 403 to the upgrade: counted as http_403', async () => {
    const { port } = await forbidding();
    const url = `ws://127.0.0.1:${port}/api/v1/ws`;
    await expectFailures(await run(url), url, 'http_403', /HTTP 403 to the upgrade/);
  });

  it('wss:// to a plain HTTP server: a TLS error, counted as tls', async () => {
    const { port } = await forbidding();
    const url = `wss://127.0.0.1:${port}/api/v1/ws`;
    await expectFailures(await run(url), url, 'tls', /TLS error: [a-z]/);
  });

  it('a server that never answers the upgrade: timeout; one that hangs up: closed', async () => {
    const silent = await tcpServer(() => {});
    const rude = await tcpServer((socket) => socket.destroy());
    for (const [port, reason] of [
      [silent.port, 'timeout'],
      [rude.port, 'closed'],
    ] as const) {
      const seen: ConnectFailure[] = [];
      const connection = createConnection({
        url: `ws://127.0.0.1:${port}/api/v1/ws`,
        subscriptions: () => [],
        onFrame() {},
        onState() {},
        onConnectFailure: (f) => seen.push(f),
        handshakeTimeoutMs: 50,
        minBackoffMs: 5,
        maxBackoffMs: 10,
      });
      connection.start();
      await until(() => seen.length >= 2, 5000, `two ${reason} failures`);
      await connection.stop();
      expect(seen.map((f) => f.reason)).toEqual(seen.map(() => reason));
    }
  });

  it('logs each status change once: the input.status event, not also an INFO line per change', async () => {
    const port = await closedPort();
    const r = await run(`ws://127.0.0.1:${port}/api/v1/ws`);
    const drops = () => statuses(r).filter((s) => s.state === 'disconnected').length;
    await until(() => drops() >= 4, 5000, 'four failed attempts');
    await r.stop();
    expect(statuses(r).length).toBeGreaterThanOrEqual(8);
    // Per change only a debug line; at info and above, one WARN for the whole outage.
    const loud = r.log.lines.filter((l) => l.instance === 'feed' && l.level !== 'debug');
    expect(loud.map((l) => l.level)).toEqual(['warn']);
  });

  it('a long outage: ERROR once it lasts unhealthyAfter, then only as its length doubles; unhealthy with since and why', async () => {
    const dns = scope.fakeDns();
    dns.answer('gone.test', 'ENOTFOUND');
    const started = performance.now();
    const r = await run('ws://gone.test/api/v1/ws', '    unhealthyAfter: 100ms\n');
    await until(() => lines(r, 'error').length >= 2, 5000, 'two ERRORs');
    const elapsed = performance.now() - started;
    const health = r.kernel.health.report().instances.feed;
    await r.stop();
    const errors = lines(r, 'error');
    // At 100 ms of outage, then each time it doubles, at least 1 s apart: 100 ms, 1.1 s, 2.2 s …
    expect(errors.length).toBeLessThanOrEqual(1 + Math.floor(Math.log2(elapsed / 100)));
    expect(Number(errors[0]?.downMs)).toBeGreaterThanOrEqual(95);
    expect(failedAttempts(r)).toBeGreaterThan(errors.length * 2);
    expect(lines(r, 'warn')).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      url: 'ws://gone.test/api/v1/ws',
      reason: 'dns',
      failures: expect.any(Number),
    });
    expect(String(errors[0]?.msg)).toMatch(
      /^no connection to ws:\/\/gone\.test\/api\/v1\/ws for \d+ ms \(since \S+, input started\); \d+ failed attempt\(s\), last: getaddrinfo ENOTFOUND gone\.test \(dns\)$/,
    );
    const downMs = errors.map((e) => Number(e.downMs));
    for (let i = 1; i < downMs.length; i++) {
      expect(downMs[i]).toBeGreaterThanOrEqual(2 * downMs[i - 1]! - 5);
      expect(downMs[i]! - downMs[i - 1]!).toBeGreaterThanOrEqual(995);
    }
    expect(health).toMatchObject({
      state: 'unhealthy',
      since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      reason: expect.stringMatching(
        /^not connected to ws:\/\/gone\.test\/api\/v1\/ws since \S+ \(input started\); \d+ failed attempt\(s\), last: getaddrinfo ENOTFOUND gone\.test \(dns\)$/,
      ),
    });
  });

  it('never shows credentials or the query of the URL; unhealthyAfter 0s is one ERROR at once, not a loop', async () => {
    const dns = scope.fakeDns();
    dns.answer('private.test', 'ENOTFOUND');
    const r = await run(
      'wss://alice:pa55w0rd-xyz@private.test/api/v1/ws?key=k3y-123',
      '    unhealthyAfter: 0s\n',
    );
    await until(() => failedAttempts(r) >= 5, 5000, 'five failed attempts');
    const health = JSON.stringify(r.kernel.health.report());
    await r.stop();
    expect(lines(r, 'error')).toHaveLength(1);
    expect(health).toContain('"state":"unhealthy"');
    const everything = [...r.log.raw, JSON.stringify(r.events), health].join('\n');
    expect(everything).not.toMatch(/pa55w0rd|alice|k3y-123/);
    expect(String(lines(r, 'warn')[0]?.msg)).toContain('cannot connect to wss://private.test/api/v1/ws?…: ');
  });

  it('a lost connection: WARN with the URL and cause, INFO when it is back; connect failures are not reconnects', async () => {
    const fake = await scope.later(startFakeMempool(), (f) => f.close());
    const r = await run(fake.url);
    await fake.waitForMessage(isTrackMempool(1));
    fake.dropAll();
    await fake.waitForMessage(isTrackMempool(2));
    // After the reconnect, gap recovery scans the projected blocks and says what it found: waited
    // for, so that the stop cannot race it (it used to land before the stop only under load).
    await until(
      () => lines(r, 'info').some((l) => String(l.msg).startsWith('gap recovery')),
      5000,
      'gap recovery',
    );
    await r.stop();
    const loud = r.log.lines.filter((l) => l.instance === 'feed' && l.level !== 'debug');
    expect(loud.map((l) => [l.level, l.msg])).toEqual([
      ['info', `connected to ${fake.url}`],
      [
        'warn',
        expect.stringMatching(
          new RegExp(
            `^connection to ${fake.url} lost: connection closed \\(\\d+.*\\); reconnecting in \\d+ ms$`,
          ),
        ),
      ],
      [
        'info',
        expect.stringMatching(
          new RegExp(`^reconnected to ${fake.url} after \\d+ ms \\(0 failed attempt\\(s\\)\\)$`),
        ),
      ],
      [
        'info',
        expect.stringMatching(/^gap recovery: 0 missed transaction\(s\) found in \d+ projected block\(s\)$/),
      ],
    ]);
    expect(await failures(r)).toEqual({});
  });
});

describe('mempool connection: backoff and causes', () => {
  it('backs off with full jitter: uniformly between backoffMin and the doubling ceiling', () => {
    expect(backoffDelay(0, 1000, 60_000, () => 0.999)).toBe(1000);
    expect(backoffDelay(3, 1000, 60_000, () => 0)).toBe(1000);
    expect(backoffDelay(3, 1000, 60_000, () => 0.5)).toBe(4500);
    expect(backoffDelay(3, 1000, 60_000, () => 1)).toBe(8000);
    expect(backoffDelay(10, 1000, 60_000, () => 1)).toBe(60_000);
    expect(backoffDelay(2000, 1000, 60_000, () => 0.25)).toBe(15_750);
  });

  it('classifies causes by code and by what ws says', () => {
    const e = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});
    expect(classifyFailure(e('getaddrinfo EAI_AGAIN mempool.space', 'EAI_AGAIN')).reason).toBe('dns');
    // The DNS servers asked directly: a refusal or timeout of the DNS, not of mempool.space.
    const query = (message: string, code: string) => Object.assign(e(message, code), { syscall: 'queryA' });
    expect(classifyFailure(query('queryA ECONNREFUSED mempool.space', 'ECONNREFUSED')).reason).toBe('dns');
    expect(classifyFailure(query('queryA ETIMEOUT mempool.space', 'ETIMEOUT')).reason).toBe('dns');
    expect(classifyFailure(e('Unexpected server response: 502')).reason).toBe('http_502');
    expect(classifyFailure(e('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT')).reason).toBe('tls');
    expect(classifyFailure(e('Hostname/IP does not match', 'ERR_TLS_CERT_ALTNAME_INVALID')).reason).toBe(
      'tls',
    );
    expect(classifyFailure(e('connect ENETUNREACH 1.2.3.4:443', 'ENETUNREACH')).reason).toBe('unreachable');
    expect(classifyFailure(e('Opening handshake has timed out')).reason).toBe('timeout');
    expect(classifyFailure(e('read ECONNRESET', 'ECONNRESET')).reason).toBe('closed');
    expect(classifyFailure(undefined).reason).toBe('closed');
    expect(classifyFailure(e('something else', 'EWHATEVER'))).toEqual({
      reason: 'other',
      message: 'something else',
    });
    const aggregate = Object.assign(
      new AggregateError([e('connect ECONNREFUSED ::1:80', 'ECONNREFUSED')], ''),
      {
        code: 'ECONNREFUSED',
      },
    );
    expect(classifyFailure(aggregate)).toEqual({ reason: 'refused', message: 'connect ECONNREFUSED ::1:80' });
  });
});
