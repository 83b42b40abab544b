import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { AnyEnvelope } from '../../src/bus/envelope.js';
import { parseConfig } from './builtins.js';
import { createKernel, type Kernel } from '../../src/kernel/kernel.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/port.js';
import type { DeliveryAttempt, OutboxRecord } from '../../src/delivery/outbox/record.js';
import { captureLog } from './kernel.js';
import { outboxReader } from './receiver.js';
import { freePort } from '../../bench/free-port.js';
export { freePort };

/** The login the test server accepts. */
export const SMTP_USER = 'spout';
export const SMTP_PASS = 'p@ss:w/rd';

/** One mail the server accepted, parsed by mailparser. */
export interface ReceivedMail {
  /** 1-based, in arrival order. */
  n: number;
  from: string;
  to: string[];
  /** The user that logged in, if any. */
  user?: string;
  raw: string;
  mail: ParsedMail;
}

/** How the server answers one DATA transaction: accept it, never answer, or refuse with an SMTP reply. */
export type SmtpReply = 'accept' | 'hang' | { acceptAfterMs: number } | { code: number; message: string };

export interface SmtpTestServer {
  port: number;
  /** `smtp://spout:p%40ss%3Aw%2Frd@127.0.0.1:PORT` (or without a login). */
  url(login?: boolean): string;
  mails: ReceivedMail[];
  /** DATA transactions seen, refused ones included. */
  transactions: number;
  /** Decide the answer to transaction `n` (1-based); default: accept all. */
  script(fn: (n: number) => SmtpReply): void;
  /** Resolve once `n` mails arrived; reject after `ms`. */
  waitFor(n: number, ms?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/**
 * A real SMTP server (`smtp-server`) on 127.0.0.1, plain text (no STARTTLS), login optional but
 * checked when given. Every accepted mail is parsed with mailparser's `simpleParser`.
 */
export async function startSmtp(
  options: { port?: number; script?: (n: number) => SmtpReply } = {},
): Promise<SmtpTestServer> {
  let script = options.script ?? (() => 'accept' as const);
  const mails: ReceivedMail[] = [];
  const arrived = new EventEmitter();
  const state = { transactions: 0 };
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    closeTimeout: 200,
    onAuth(auth, _session, cb) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASS) cb(null, { user: auth.username });
      else cb(Object.assign(new Error('Authentication failed'), { responseCode: 535 }));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const n = ++state.transactions;
        const reply = script(n);
        if (reply === 'hang') return;
        if (typeof reply === 'object' && 'code' in reply)
          return cb(Object.assign(new Error(reply.message), { responseCode: reply.code }));
        const raw = Buffer.concat(chunks).toString('utf8');
        const delay = typeof reply === 'object' ? reply.acceptAfterMs : 0;
        const parsed = simpleParser(raw).then(
          (mail) => new Promise<ParsedMail>((resolve) => setTimeout(() => resolve(mail), delay)),
        );
        parsed.then(
          (mail) => {
            const received: ReceivedMail = {
              n: mails.length + 1,
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              ...(typeof session.user === 'string' ? { user: session.user } : {}),
              raw,
              mail,
            };
            mails.push(received);
            cb();
            arrived.emit('mail');
          },
          (error: Error) => cb(error),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    url: (login = true) =>
      `smtp://${login ? `${encodeURIComponent(SMTP_USER)}:${encodeURIComponent(SMTP_PASS)}@` : ''}127.0.0.1:${port}`,
    mails,
    get transactions() {
      return state.transactions;
    },
    script: (fn) => void (script = fn),
    waitFor(n, ms = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (mails.length < n) return;
          clearTimeout(timer);
          arrived.off('mail', check);
          resolve(mails);
        };
        const timer = setTimeout(() => {
          arrived.off('mail', check);
          reject(new Error(`timed out waiting for ${n} mail(s); got ${mails.length}`));
        }, ms);
        arrived.on('mail', check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A kernel running the YAML (validated like `spout run` does), with every envelope recorded. */
export async function runSpout(
  yaml: string,
  store: Store = createMemoryStore(),
): Promise<{
  kernel: Kernel;
  store: Store;
  log: ReturnType<typeof captureLog>;
  events: AnyEnvelope[];
  record(instance: string, eventId: string): OutboxRecord | undefined;
  attempts(instance: string, eventId: string): DeliveryAttempt[];
  stop(): Promise<unknown[]>;
}> {
  const config = await parseConfig(
    `http: { enabled: false }\nlog: { level: debug, format: json }\n${yaml}`,
    'test.yaml',
    process.cwd(),
    {},
  );
  const log = captureLog([...config.secrets]);
  const kernel = createKernel({ config, log: log.log, store });
  const events: AnyEnvelope[] = [];
  kernel.bus.tap((e) => events.push(e));
  await kernel.start();
  return { kernel, store, log, events, ...outboxReader(store), stop: () => kernel.stop() };
}
