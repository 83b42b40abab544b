/** How STARTTLS is used on an `smtp://` connection (see {@link parseSmtpUrl}). */
export type StartTls = 'auto' | 'required' | 'never';

/** Where and how to reach the SMTP server, from the `smtp` option. */
export interface SmtpServer {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (`smtps://`). */
  secure: boolean;
  /** For `smtp://`: upgrade when offered, insist on it, or never try. Irrelevant for `smtps://`. */
  starttls: StartTls;
  auth: { user: string; pass: string } | null;
}

/** Why a value is not a usable SMTP URL. The message never contains the URL (it holds a password). */
export class SmtpUrlError extends Error {}

const EXAMPLE = 'smtp://user:password@smtp.example.com:587 or smtps://user:password@smtp.example.com:465';

/** A host on this machine: mail there never crosses a network, so plain SMTP is acceptable. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * Parse `smtp://[user[:password]@]host[:port]` (port 587, STARTTLS) or `smtps://…` (port 465,
 * TLS from the start). User and password are percent-decoded, so a Gmail user is written
 * `me%40gmail.com`. `starttls` defaults to `required` for a remote host and `auto` on loopback:
 * a stripped STARTTLS offer must not make Spout send its password in clear over a network, while
 * a local relay often has no certificate worth checking.
 */
export function parseSmtpUrl(value: string, starttls?: StartTls): SmtpServer {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SmtpUrlError(`is not a URL; write it as ${EXAMPLE}`);
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:')
    throw new SmtpUrlError(`must start with smtp:// or smtps:// (not ${url.protocol}//), e.g. ${EXAMPLE}`);
  if (!url.hostname) throw new SmtpUrlError(`has no host; write it as ${EXAMPLE}`);
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash)
    throw new SmtpUrlError(
      'must be only scheme, credentials, host and port (no path or ?query); percent-encode "/", "?", "#" and "@" in the user or password',
    );
  if (url.password && !url.username) throw new SmtpUrlError('has a password but no user name');
  const secure = url.protocol === 'smtps:';
  if (secure && starttls !== undefined)
    throw new SmtpUrlError('starttls applies to smtp:// only (smtps:// always uses TLS); remove starttls');
  let user: string;
  let pass: string;
  try {
    user = decodeURIComponent(url.username);
    pass = decodeURIComponent(url.password);
  } catch {
    throw new SmtpUrlError('has a malformed %-escape in the user or password');
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return {
    host,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    starttls: starttls ?? (isLoopback(host) ? 'auto' : 'required'),
    auth: user ? { user, pass } : null,
  };
}
