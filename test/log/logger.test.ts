import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { createRedactor } from '../../src/log/redact.js';

describe('logger', () => {
  it('writes JSON lines with the instance name, scrubbing secrets in every form', () => {
    const lines: string[] = [];
    const root = createLogger({
      level: 'info',
      format: 'json',
      secrets: ['p@ss "word"/1'],
      write: (l) => void lines.push(l),
    });
    root.log
      .child({ instance: 'desk' })
      .info({ url: 'https://u:p%40ss%20%22word%22%2F1@host/' }, 'using p@ss "word"/1');
    root.log.debug('below the level');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(entry).toMatchObject({
      level: 'info',
      instance: 'desk',
      msg: 'using [secret]',
      url: 'https://u:[secret]@host/',
    });
  });

  it('writes readable lines in pretty format', () => {
    const lines: string[] = [];
    const root = createLogger({ level: 'info', format: 'pretty', write: (l) => void lines.push(l) });
    root.log.child({ instance: 'feed', plugin: 'replay' }).warn('reconnecting');
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: \[feed\] reconnecting\n$/);
  });

  it('scrubs values marked secret whatever they are', () => {
    expect(createRedactor([], ['abc', '4242'])('token abc, pin 4242')).toBe('token [secret], pin [secret]');
  });

  it('leaves short values, log words and small numbers alone (they would garble text and protect nothing)', () => {
    expect(
      createRedactor(['abcde', 'abcdef', 'debug', '8080', 'verbose-token'])(
        'abcde abcdef debug 8080 verbose-token',
      ),
    ).toBe('abcde [secret] debug 8080 [secret]');
  });
});
