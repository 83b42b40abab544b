import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { createRedactor, MIN_FRAGMENT_LENGTH } from '../../src/log/redact.js';

const SECRET = 'tok_8f2c9b1e5d7a4c3b-never-print-me';

describe('secret scrubber: parts of secrets', () => {
  it('hides any run of 8 or more characters of a secret, in full, wherever it is', () => {
    const scrub = createRedactor([SECRET]);
    expect(MIN_FRAGMENT_LENGTH).toBe(8);
    expect(scrub(`Cannot listen on ${SECRET.slice(0, -1)}:0`)).toBe('Cannot listen on [secret]:0');
    expect(scrub(`id=${SECRET.slice(4, 12)}; tail ${SECRET.slice(-9)}.`)).toBe('id=[secret]; tail [secret].');
    expect(scrub(`glued${SECRET}glued`)).toBe('glued[secret]glued');
    // Shorter runs are left: they are common text and tell little.
    expect(scrub(`ever-pr tok_8f2 ${SECRET.slice(3, 10)}`)).toBe(`ever-pr tok_8f2 ${SECRET.slice(3, 10)}`);
  });

  it('hides parts of the JSON-escaped and URL-encoded forms, and of strict secrets', () => {
    const scrub = createRedactor([], ['p@ss "word"/1234567']);
    expect(scrub('{"msg":"using p@ss \\"word\\"/12"}')).toBe('{"msg":"using [secret]"}');
    expect(scrub('https://u:%22word%22%2F12345@host/')).toBe('https://u:[secret]@host/');
  });

  it('masks a short secret found inside a part of a longer one as one run', () => {
    const scrub = createRedactor(['abcdef', 'abcdefghijklmnop']);
    expect(scrub('x abcdefghij y')).toBe('x [secret] y');
    expect(scrub('x abcdef y')).toBe('x [secret] y');
  });

  it('is what the logger uses: a log line with a part of a secret shows none of it', () => {
    const lines: string[] = [];
    const root = createLogger({
      level: 'info',
      format: 'json',
      secrets: [SECRET],
      write: (l) => void lines.push(l),
    });
    const err = new Error(`Cannot listen on ${SECRET.slice(0, -1)}`);
    root.log.error({ err }, `boot failed: ${err.message}`);
    const text = lines.join('');
    for (let i = 0; i + 8 <= SECRET.length; i++) expect(text).not.toContain(SECRET.slice(i, i + 8));
    expect(text).toContain('boot failed: Cannot listen on [secret]');
  });
});

describe('a URL from ${VAR}', () => {
  const scrub = createRedactor(['https://hooks.example.com/services/T0KEN-abcdef123456?sig=0123456789']);
  it('keeps its scheme and host in other log lines, and hides pieces of its path, query and the whole', () => {
    expect(scrub('POST https://hooks.example.com/other answered 503')).toBe(
      'POST https://hooks.example.com/other answered 503',
    );
    expect(scrub('at /services/T0KEN-abc')).not.toContain('T0KEN-ab');
    expect(scrub('sig=0123456789 rejected')).not.toContain('01234567');
    expect(scrub('https://hooks.example.com/services/T0KEN-abcdef123456?sig=0123456789')).toBe('[secret]');
  });
  it('hides pieces of its credentials', () => {
    const s = createRedactor(['smtp://mailer:Sup3rS3cretPw@mail.example.com:587']);
    expect(s('auth failed for Sup3rS3cretP')).not.toContain('Sup3rS3c');
    expect(s('connecting to smtp://mail.example.com:587')).toBe('connecting to smtp://mail.example.com:587');
  });
});
