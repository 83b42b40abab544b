import { performance } from 'node:perf_hooks';
import nodemailer from 'nodemailer';
import type { AttemptResult, SendResult, Verdict } from '../../../src/index.js';
import type { RenderedMail } from './format.js';
import type { SmtpServer } from './smtp-url.js';

/**
 * How long a mail in flight may finish after the output starts stopping, before it is aborted.
 * An SMTP transaction takes milliseconds; aborting one that the server has just accepted would
 * send it again on the next start.
 */
export const ABORT_GRACE_MS = 1000;

/** One attempt's outcome; `smtpCode` is the server's reply code when it refused. */
export interface MailResult extends SendResult {
  smtpCode?: number;
  /** Recipients the server refused while accepting the mail for the others. */
  rejected?: string[];
}

export interface MailerSettings {
  server: SmtpServer;
  timeoutMs: number;
  /** Pooled connections at most. */
  connections: number;
}

/** One pooled SMTP transport, reused for every mail of the instance. */
export interface Mailer {
  /** Send one stored mail. Never throws. */
  send(mail: RenderedMail, to: { from: string; to: string[] }, signal: AbortSignal): Promise<MailResult>;
  /** Connect and log in without sending: what is wrong with the settings, or null. */
  check(): Promise<string | null>;
  /** Close the pool (idle connections at once). */
  close(): void;
}

interface SmtpError {
  code?: string;
  /** The socket's own code behind nodemailer's (`ESOCKET`): e.g. a TLS verification code. */
  originalCode?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  message?: string;
  name?: string;
}

const POOL_CLOSED = /^Reached maximum number of retries after connection was closed$/;

/** A TLS certificate that did not verify (Node's codes for OpenSSL's verify results). */
function isCertificateError(e: SmtpError): boolean {
  const code = e.originalCode ?? e.code ?? '';
  return /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT_ALTNAME_INVALID/.test(code);
}

/** An SMTP failure as one line: "SMTP 451 4.3.0 Try again later (DATA)", "ECONNREFUSED …". */
export function describeError(error: unknown): string {
  const e = (error ?? {}) as SmtpError;
  let line: string;
  if (typeof e.responseCode === 'number') {
    const response = (e.response ?? '').trim().replace(/\s+/g, ' ');
    const text = response.startsWith(String(e.responseCode)) ? response : `${e.responseCode} ${response}`;
    line = `SMTP ${text.trim()}${e.command ? ` (${e.command})` : ''}`;
  } else {
    let message = e.message ?? String(error);
    // The pool's words when a connection closed under a mail it does not requeue (the outbox
    // retries instead): nothing was retried, the server hung up before accepting the mail.
    if (POOL_CLOSED.test(message)) message = 'the server closed the connection before accepting the mail';
    line = e.code && !message.includes(e.code) ? `${e.code}: ${message}` : message;
  }
  if (e.code === 'EAUTH') line += '; check the user and password in the smtp URL';
  if (isCertificateError(e)) line += "; the server's TLS certificate did not verify";
  if (e.code === 'ETLS' || /STARTTLS/i.test(line))
    line += '; see the starttls option (required by default for a remote server)';
  return line;
}

/**
 * What an attempt means: sent → delivered; a 5xx reply (but 503, a session out of step) →
 * `failure`, refused as it is; anything else (no connection, timeout, 4xx) → `retry`. Both
 * follow the retry schedule: a refusal is usually a setting (login, sender, relay) that the
 * operator fixes, and the mail should then still arrive.
 */
export function classifyMail(result: AttemptResult): Verdict {
  if (result.error === undefined) return 'delivered';
  const code = (result as MailResult).smtpCode;
  return code !== undefined && code >= 500 && code !== 503 ? 'failure' : 'retry';
}

/** The signal of one attempt: aborted {@link ABORT_GRACE_MS} after the instance's. */
function graceful(signal: AbortSignal, graceMs: number): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    timer = setTimeout(() => controller.abort(signal.reason), graceMs);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * A pooled transport: at most `connections` open, each reused for many mails. The outbox owns
 * retries, so the pool does not requeue a mail whose connection dropped.
 */
export function createMailer(settings: MailerSettings, graceMs = ABORT_GRACE_MS): Mailer {
  const { server, timeoutMs } = settings;
  const options = {
    host: server.host,
    port: server.port,
    secure: server.secure,
    requireTLS: !server.secure && server.starttls === 'required',
    ignoreTLS: !server.secure && server.starttls === 'never',
    ...(server.auth ? { auth: { user: server.auth.user, pass: server.auth.pass } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    logger: false,
    debug: false,
  };
  const transport = nodemailer.createTransport({
    ...options,
    pool: true,
    maxConnections: settings.connections,
    maxMessages: 100,
    maxRequeues: 0,
  });

  return {
    async send(mail, address, signal) {
      const started = performance.now();
      const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
      const attempt = graceful(signal, graceMs);
      try {
        const info = await transport.sendMail({
          from: address.from,
          to: address.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId: mail.messageId,
          date: new Date(mail.date),
          headers: mail.headers,
          signal: attempt.signal,
        });
        const rejected = (info.rejected ?? []).map(String);
        return { latencyMs: elapsed(), ...(rejected.length > 0 ? { rejected } : {}) };
      } catch (error) {
        const latencyMs = elapsed();
        if (attempt.signal.aborted)
          return { error: 'aborted: the output is stopping', latencyMs, aborted: true };
        const code = (error as SmtpError).responseCode;
        return {
          error: describeError(error),
          latencyMs,
          ...(typeof code === 'number' ? { smtpCode: code } : {}),
        };
      } finally {
        attempt.done();
      }
    },
    async check() {
      // A separate connection (verify does not use the pool): the pool's first mail is not delayed.
      const probe = nodemailer.createTransport(options);
      try {
        await probe.verify();
        return null;
      } catch (error) {
        return describeError(error);
      } finally {
        probe.close();
      }
    },
    close() {
      transport.close();
    },
  };
}
