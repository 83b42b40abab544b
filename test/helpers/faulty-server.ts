import { EventEmitter, once } from 'node:events';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import {
  createServer as createNetServer,
  connect,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';

/**
 * A self-signed certificate for 127.0.0.1 (EC P-256, valid from 2000 to 9999, so the date never
 * matters). No client trusts it: a TLS client meets a verification failure. Test use only.
 */
export const SELF_SIGNED = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg57DqXnhU8iec47zQ
U/hc9lSjqrL8GZzfceujbr3ceL2hRANCAARnIhy2y5GgkjJJRvZ0kKsljnhkqK6e
fZE6BHA1KYOX4iT4eVCdjXhf5Bk0gBYENYIml/3e3sBF86psss9Vzpxd
-----END PRIVATE KEY-----
`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBYzCCAQqgAwIBAgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAkxMjcuMC4w
LjEwIBcNMDAwMTAxMDAwMDAwWhgPOTk5OTEyMzEyMzU5NTlaMBQxEjAQBgNVBAMM
CTEyNy4wLjAuMTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABGciHLbLkaCSMklG
9nSQqyWOeGSorp59kToEcDUpg5fiJPh5UJ2NeF/kGTSAFgQ1giaX/d7ewEXzqmyy
z1XOnF2jSzBJMBoGA1UdEQQTMBGHBH8AAAGCCWxvY2FsaG9zdDAMBgNVHRMBAf8E
AjAAMB0GA1UdDgQWBBQm1Mg9ZAJd5QC2OS273EwAQXky+zAKBggqhkjOPQQDAgNH
ADBEAiBhCiJh9cO3iQJC5v3sUCTZFdFL32PD9moLq4K3xnEwrAIgE1ay2Vro0pPG
dTPprwEIKWvUaBfTbpH/gfEOU6Nur5Y=
-----END CERTIFICATE-----
`,
};

const listen = async <S extends Server>(server: S): Promise<number> => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
};

/** Resolve once `count()` reaches `n` (checked on every `changed` event); reject after `ms`. */
function waitCount(
  events: EventEmitter,
  count: () => number,
  n: number,
  ms: number,
  what: string,
): Promise<void> {
  if (count() >= n) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      events.off('changed', check);
      reject(new Error(`faulty server: ${count()}/${n} ${what} after ${ms} ms`));
    }, ms);
    const check = () => {
      if (count() < n) return;
      clearTimeout(timer);
      events.off('changed', check);
      resolve();
    };
    events.on('changed', check);
  });
}

// ───────────────────────────── HTTP ─────────────────────────────

/**
 * How the faulty HTTP server treats one request:
 * - `pass`: forwards it to the upstream server and relays the answer (it behaves);
 * - `reset`: reads the request headers, then resets the connection (TCP RST);
 * - `close`: reads the whole request, then closes the connection without a byte of answer;
 * - `half-head`: reads the request, writes half a status line and headers, then destroys the socket;
 * - `short-body`: reads the request, answers 200 with a `Content-Length` larger than the body it
 *   writes, then closes;
 * - `chunked-cut`: reads the request, answers 200 with a chunked body, and destroys the socket
 *   after the first chunk (no last chunk);
 * - `half-json`: reads the request, answers 200 with a well-framed body that holds only the first
 *   half of a JSON document (a server that wrote half of what it meant to);
 * - `hang`: reads the request and never answers (until the client gives up).
 */
export type HttpFault =
  'pass' | 'reset' | 'close' | 'half-head' | 'short-body' | 'chunked-cut' | 'half-json' | 'hang';
/** The faults that break the transport (`half-json` is a whole HTTP answer with a broken body). */
export const HTTP_FAULTS = ['reset', 'close', 'half-head', 'short-body', 'chunked-cut', 'hang'] as const;

export interface FaultedRequest {
  /** 1-based, in arrival order. */
  n: number;
  method: string;
  path: string;
  fault: HttpFault;
}

export interface FaultyHttp {
  /** `http://127.0.0.1:PORT`: the origin to configure instead of the upstream's. */
  origin: string;
  requests: FaultedRequest[];
  /** The next `times` requests (whatever they are) get `fault`; then they pass again. */
  fail(fault: HttpFault, times?: number): void;
  /** Resolve once `n` requests arrived. */
  waitFor(n: number, ms?: number): Promise<FaultedRequest[]>;
  /** Hung requests whose connection the client has closed (it gave up waiting). */
  abandoned(): number;
  close(): Promise<void>;
}

/**
 * A loopback HTTP server in front of a real fake server (`upstream`, an origin such as
 * `http://127.0.0.1:1234`) that misbehaves on the requests it is told to, at the socket level,
 * and forwards the others. Faults are chosen per request, so a client's keep-alive connection
 * meets them too.
 */
export async function startFaultyHttp(upstream: string): Promise<FaultyHttp> {
  const target = new URL(upstream);
  const queue: HttpFault[] = [];
  const requests: FaultedRequest[] = [];
  const events = new EventEmitter();
  let abandoned = 0;

  const server = createHttpServer((req, res) => {
    const fault = queue.shift() ?? 'pass';
    const entry = { n: requests.length + 1, method: req.method ?? '', path: req.url ?? '', fault };
    requests.push(entry);
    events.emit('changed');
    const socket = req.socket;
    socket.on('error', () => undefined);
    if (fault === 'reset') return void socket.resetAndDestroy();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      switch (fault) {
        case 'close':
          return void socket.end();
        case 'half-head':
          socket.write('HTTP/1.1 200 OK\r\nContent-Type: applic');
          return void socket.destroy();
        case 'short-body':
          socket.write(
            'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{"ok":true,"result":{"message_id":',
          );
          return void socket.end();
        case 'chunked-cut':
          socket.write(
            'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n12\r\n{"ok":true,"result\r\n',
          );
          return void socket.destroy();
        case 'half-json': {
          const half = '{"ok":true,"result":{"message_id":4';
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': half.length });
          return void res.end(half);
        }
        case 'hang':
          socket.once('close', () => {
            abandoned++;
            events.emit('changed');
          });
          return;
        case 'pass': {
          const headers = { ...req.headers, host: target.host };
          delete headers.connection;
          const forward = httpRequest(
            {
              host: target.hostname,
              port: target.port,
              method: req.method,
              path: req.url,
              headers,
              agent: false,
            },
            (answer) => {
              const body: Buffer[] = [];
              answer.on('data', (c: Buffer) => body.push(c));
              answer.on('end', () => {
                const out = Buffer.concat(body);
                const relayed = { ...answer.headers };
                for (const h of ['connection', 'keep-alive', 'transfer-encoding', 'content-length'])
                  delete relayed[h];
                res.writeHead(answer.statusCode ?? 502, { ...relayed, 'content-length': out.length });
                res.end(out);
              });
            },
          );
          forward.on('error', () => socket.destroy());
          forward.end(Buffer.concat(chunks));
        }
      }
    });
  });
  const port = await listen(server);
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    fail(fault, times = 1) {
      for (let i = 0; i < times; i++) queue.push(fault);
    },
    async waitFor(n, ms = 10_000) {
      await waitCount(events, () => requests.length, n, ms, 'requests');
      return requests;
    },
    abandoned: () => abandoned,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ───────────────────────────── TLS ─────────────────────────────

/**
 * A server an `https://` URL meets that cannot be spoken to:
 * - `self-signed`: a TLS server whose certificate ({@link SELF_SIGNED}) the client cannot verify;
 * - `plain`: a plain TCP server that answers the TLS hello with plain-text HTTP.
 */
export type TlsFault = 'self-signed' | 'plain';

export interface FaultyTls {
  /** `https://127.0.0.1:PORT`. */
  origin: string;
  port: number;
  /** TCP connections accepted (each one a failed handshake). */
  connections(): number;
  waitFor(n: number, ms?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFaultyTls(kind: TlsFault): Promise<FaultyTls> {
  const events = new EventEmitter();
  const sockets = new Set<Socket>();
  let connections = 0;
  const track = (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    events.emit('changed');
  };
  let server: Server;
  if (kind === 'self-signed') {
    const tls = createTlsServer(SELF_SIGNED, (s) => s.end());
    tls.on('connection', track);
    tls.on('tlsClientError', () => undefined);
    server = tls;
  } else {
    server = createNetServer((socket) => {
      track(socket);
      socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'));
    });
  }
  const port = await listen(server);
  return {
    origin: `https://127.0.0.1:${port}`,
    port,
    connections: () => connections,
    waitFor: (n, ms = 10_000) => waitCount(events, () => connections, n, ms, 'connections'),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ───────────────────────────── SMTP ─────────────────────────────

/**
 * How the faulty SMTP server treats one connection:
 * - `pass`: pipes it to the upstream SMTP server (it behaves);
 * - `silent`: accepts and never says a word (no greeting);
 * - `half-greeting`: writes the first line of a multi-line greeting, then closes;
 * - `reset-in-data`: a normal session up to DATA, then a reset while the message arrives;
 * - `hang-after-data`: takes the whole message and never answers the final dot;
 * - `bad-starttls`: offers STARTTLS and, on it, presents a certificate no client trusts.
 */
export type SmtpFault =
  'pass' | 'silent' | 'half-greeting' | 'reset-in-data' | 'hang-after-data' | 'bad-starttls';
export const SMTP_FAULTS = [
  'silent',
  'half-greeting',
  'reset-in-data',
  'hang-after-data',
  'bad-starttls',
] as const;

export interface FaultySmtp {
  port: number;
  /** Connections, with the fault each got. */
  connections: SmtpFault[];
  /** The next `times` connections get `fault`; then they pass again. */
  fail(fault: SmtpFault, times?: number): void;
  /** Every connection from now on gets `fault` (`pass`: none). */
  always(fault: SmtpFault): void;
  /** Messages that arrived whole at a `hang-after-data` connection. */
  swallowed(): number;
  waitFor(n: number, ms?: number): Promise<void>;
  close(): Promise<void>;
}

/** A loopback SMTP front: the scripted faults per connection, else a pipe to `upstreamPort`. */
export async function startFaultySmtp(upstreamPort: number): Promise<FaultySmtp> {
  const events = new EventEmitter();
  const queue: SmtpFault[] = [];
  const connections: SmtpFault[] = [];
  const sockets = new Set<Socket>();
  let standing: SmtpFault = 'pass';
  let swallowed = 0;

  const speak = (socket: Socket, fault: SmtpFault) => {
    if (fault === 'silent') return;
    if (fault === 'half-greeting') return void socket.end('220-fault.test ESMTP\r\n');
    socket.write('220 fault.test ESMTP\r\n');
    let buffer = '';
    let inData = false;
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      if (inData) {
        if (fault === 'reset-in-data') return void socket.resetAndDestroy();
        if (buffer.includes('\r\n.\r\n')) {
          socket.off('data', onData);
          swallowed++;
          events.emit('changed');
        }
        return;
      }
      for (let i = buffer.indexOf('\r\n'); i >= 0; i = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO')
          socket.write(
            fault === 'bad-starttls'
              ? '250-fault.test\r\n250 STARTTLS\r\n'
              : '250-fault.test\r\n250 8BITMIME\r\n',
          );
        else if (verb === 'DATA') {
          socket.write('354 End data with <CR><LF>.<CR><LF>\r\n');
          inData = true;
          return;
        } else if (verb === 'STARTTLS' && fault === 'bad-starttls') {
          socket.off('data', onData);
          socket.write('220 2.0.0 Ready to start TLS\r\n', () => {
            const secure = new TLSSocket(socket, { isServer: true, ...SELF_SIGNED });
            secure.on('error', () => socket.destroy());
          });
          return;
        } else if (verb === 'QUIT') return void socket.end('221 Bye\r\n');
        else socket.write('250 OK\r\n');
      }
    };
    socket.on('data', onData);
  };

  const server = createNetServer((socket) => {
    const fault = queue.shift() ?? standing;
    connections.push(fault);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    events.emit('changed');
    if (fault !== 'pass') return speak(socket, fault);
    const up = connect(upstreamPort, '127.0.0.1');
    up.on('error', () => socket.destroy());
    socket.on('close', () => up.destroy());
    up.on('close', () => socket.destroy());
    socket.pipe(up).pipe(socket);
  });
  const port = await listen(server);
  return {
    port,
    connections,
    fail(fault, times = 1) {
      for (let i = 0; i < times; i++) queue.push(fault);
    },
    always(fault) {
      standing = fault;
    },
    swallowed: () => swallowed,
    waitFor: (n, ms = 10_000) => waitCount(events, () => connections.length, n, ms, 'connections'),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
