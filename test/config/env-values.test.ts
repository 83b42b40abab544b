import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { envNote, hideEnvValues } from '../../src/config/env-values.js';
import { ConfigError } from '../../src/config/load.js';
import { parseConfig } from '../helpers/builtins.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const SECRET = 'tok8f2c9b1e5d7a4c3b2';

describe('values from the environment in messages', () => {
  it('are replaced by the variable they came from, where they stand as a word', () => {
    const uses = [
      { path: 'outputs.o.use', variable: 'PLUGIN', value: 'whale-x' },
      { path: 'http.listen', variable: 'PORT', value: '80' },
    ];
    expect(
      hideEnvValues('unknown output plugin "whale-x"; cannot listen on 127.0.0.1:80 (80x, 8080)', uses),
    ).toBe('unknown output plugin "${PLUGIN}"; cannot listen on 127.0.0.1:${PORT} (80x, 8080)');
    expect(envNote('http.listen', 'must be …', uses)).toBe(' (set from ${PORT})');
    expect(envNote('http.listen', 'port ${PORT} is taken', uses)).toBe('');
    expect(envNote('log.level', 'must be …', uses)).toBe('');
  });

  it('never appear in a configuration problem, whole or in part: each names its key and variable', async () => {
    const yaml = [
      'log: { level: "${S}", format: "${S}" }', //                               1 enums
      'kernel: { stopTimeout: "${S}" }', //                                       2 duration
      'http: { listen: "${S}", enabled: "${S}" }', //                            3 listen, boolean
      'inputs:', //                                                               4
      '  feed: { use: replay, intervalMs: "${S}", items: [{ type: "${S}" }] }', // 5 integer, enum
      'outputs:', //                                                              6
      '  c: { use: console, events: ["${S}"], filter: { minBtc: "${S}" } }', //  7 enum, number
      '  o: { use: "plugin-${S}" }', //                                           8 unknown plugin
      '  w: { use: webhook, url: "${S}", secret: "${S}" }', //                    9 uri
      `  r: { use: ./plugins/recorder.mjs, file: "/no/${'$'}{S}", hangOnStop: "${'$'}{S}" }`, // 10
    ].join('\n');
    const error = await parseConfig(yaml, 'config.yaml', FIXTURES, { S: SECRET }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as ConfigError).message;
    for (let i = 0; i + 8 <= SECRET.length; i++) expect(text).not.toContain(SECRET.slice(i, i + 8));
    const problems = (error as ConfigError).problems.map((p) => `${p.line}:${p.col} ${p.path} ${p.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        '1:15 log.level must be one of: fatal, error, warn, info, debug, trace, silent (set from ${S})',
        '1:31 log.format must be one of: pretty, json (set from ${S})',
        '2:24 kernel.stopTimeout must be a duration such as 30s, 5m, 1h or 7d (set from ${S})',
        '3:17 http.listen must be host:port, [ipv6]:port or a port, e.g. 127.0.0.1:8080; the port is missing (set from ${S})',
        '3:34 http.enabled must be boolean (set from ${S})',
        '5:36 inputs.feed.intervalMs must be integer (set from ${S})',
        expect.stringMatching(
          /^5:60 inputs\.feed\.items\.0\.type must be one of: tx\.seen, .* \(set from \$\{S\}\)$/,
        ),
        expect.stringMatching(/^7:31 outputs\.c\.events\.0 must be one of: \*, .* \(set from \$\{S\}\)$/),
        '7:58 outputs.c.filter.minBtc must be number (set from ${S})',
        expect.stringMatching(
          /^8:13 outputs\.o\.use unknown output plugin "plugin-\$\{S\}"; built-in outputs: /,
        ),
        expect.stringMatching(/^9:27 outputs\.w\.url must .* \(set from \$\{S\}\)$/),
        '10:67 outputs.r.hangOnStop must be boolean (set from ${S})',
      ]),
    );
  });
});
