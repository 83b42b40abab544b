import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createAjv, describeAjvError } from '../../src/config/ajv.js';
import { buildSchema } from '../../src/config/build-schema.js';
import { ConfigError } from '../../src/config/load.js';
import { parseConfig } from '../helpers/builtins.js';
import { optionError, optionOf, problemList, problemsOf } from '../../src/plugin/problems.js';
import { BUILTIN_PLUGINS } from '../../plugins/index.js';
import { parseDiscordWebhookUrl } from '../../plugins/outputs/discord/options.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

async function problems(yaml: string, env: Record<string, string> = {}) {
  const error = await parseConfig(yaml, 'config.yaml', FIXTURES, env).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).problems.map((p) => `${p.line}:${p.col} ${p.path} ${p.message}`);
}

const TOKEN = `${'a'.repeat(30)}-_${'B'.repeat(36)}`; // 68 characters

describe('plugin problems, all in one pass', () => {
  it('reports every problem of every instance together with the schema’s', async () => {
    const yaml = [
      'log: { level: loud }', //                                              1  schema
      'inputs:', //                                                           2
      '  feed: { use: replay }', //                                           3
      'outputs:', //                                                          4
      '  tg:', //                                                             5
      '    use: telegram', //                                                 6
      '    token: "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"', //        7
      '    chat: "-1001234567890"', //                                        8
      '    template: "<b>{btc} BTC {amout}"', //                              9  placeholder and <b>
      '    timeout: 100ms', //                                               10  too short
      '  dc:', //                                                            11
      '    use: discord', //                                                 12
      '    webhookUrl: "https://discord.com/api/webhooks/1234/abc"', //      13  id too short
      '    template: "{btc} {{"', //                                         14  fine
      '  hook:', //                                                          15
      '    use: webhook', //                                                 16
      '    url: https://example.com/hook', //                                17
      '    secret: whsec_aHVudGVyMi1pcy1teS1wYXNz', //                       18  too short
      '    timeout: 0s', //                                                  19  not positive
      '    headers: { Content-Type: text/plain }', //                        20  reserved
    ].join('\n');
    expect(await problems(yaml)).toEqual([
      expect.stringMatching(/^1:15 log\.level must be one of: /),
      expect.stringMatching(/^9:15 outputs\.tg\.template uses unknown placeholder \{amout\}; known: /),
      '9:15 outputs.tg.template leaves <b> unclosed; Telegram would refuse every message',
      '10:14 outputs.tg.timeout must be at least 1s',
      '13:17 outputs.dc.webhookUrl must be a Discord webhook URL such as https://discord.com/api/webhooks/<id>/<token> (Server Settings → Integrations → Webhooks → Copy Webhook URL); the webhook id (after /webhooks/) must be 17 to 20 digits',
      expect.stringMatching(
        /^18:13 outputs\.hook\.secret must be a Standard Webhooks secret: "whsec_" followed by base64 \(24–64 bytes\), e\.g\. whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/,
      ),
      '19:14 outputs.hook.timeout must be longer than 0 (e.g. 15s)',
      '20:30 outputs.hook.headers.Content-Type is set by the webhook output itself and cannot be configured',
    ]);
  });

  it('skips the plugin check of an instance whose options failed the schema (no echo of the same mistake)', async () => {
    expect(
      await problems(
        ['outputs:', '  tg: { use: telegram, token: "12:short", chat: "@ab", timeout: 100ms }'].join('\n'),
      ),
    ).toEqual([
      '2:31 outputs.tg.token must be a bot token from @BotFather: the bot id (digits), a colon, then at least 20 letters, digits, _ or -, like 123456789:AAH…',
    ]);
  });

  it('a third-party validate may throw an AggregateError: each problem at its option', async () => {
    const list = problemsOf(
      new AggregateError([
        Object.assign(new Error('outputs.x.a is wrong'), { optionPath: 'a' }),
        new Error('outputs.x is wrong as a whole'),
      ]),
    );
    expect(list.map((e) => [e.message, (e as { optionPath?: string }).optionPath])).toEqual([
      ['outputs.x.a is wrong', 'a'],
      ['outputs.x is wrong as a whole', undefined],
    ]);
    // Errors whose `errors` are not Errors (ajv's) stand for themselves.
    const ajvLike = Object.assign(new Error('validation failed'), { errors: [{ keyword: 'type' }] });
    expect(problemsOf(ajvLike)).toEqual([ajvLike]);
  });

  it('problemList: one problem throws as itself; several as one error listing them in errors', () => {
    const one = problemList();
    one.add('retry[2]', 'must be a duration');
    expect(() => one.throwIfAny()).toThrow(
      expect.objectContaining({
        code: 'SPOUT_CONFIG_INVALID',
        message: 'must be a duration',
        scope: { option: 'retry.2' },
      }),
    );
    const two = problemList();
    two.add('a', 'is wrong');
    expect(
      two.check(() => {
        throw optionError('b', 'is wrong too');
      }),
    ).toBeUndefined();
    expect(two.check(() => 42)).toBe(42);
    expect(two.size).toBe(2);
    let thrown: unknown;
    try {
      two.throwIfAny();
    } catch (e) {
      thrown = e;
    }
    expect((thrown as Error).message).toBe('a is wrong; b is wrong too');
    expect(problemsOf(thrown).map(optionOf)).toEqual(['a', 'b']);
    expect(() => problemList().throwIfAny()).not.toThrow();
  });
});

describe('Discord webhook URLs', () => {
  it('takes real ones: ids of 17 to 20 digits, tokens of 68 letters, digits, _ and -', () => {
    for (const id of ['12345678901234567', '1234567890123456789', '12345678901234567890'])
      for (const url of [
        `https://discord.com/api/webhooks/${id}/${TOKEN}`,
        `https://canary.discord.com/api/v10/webhooks/${id}/${TOKEN}/`,
        `https://discordapp.com/api/webhooks/${id}/${TOKEN}`,
      ])
        expect(parseDiscordWebhookUrl(url), url).toEqual({ ok: true, id, token: TOKEN });
  });

  it('says what is wrong with one that is not, never showing the token', () => {
    const id = '123456789012345678';
    const cases: Array<[string, string]> = [
      ['discord.com/api/webhooks/x', 'it is not a URL (https://… expected)'],
      [`http://discord.com/api/webhooks/${id}/${TOKEN}`, 'it starts with http://, not https://'],
      [`https://example.com/api/webhooks/${id}/${TOKEN}`, 'its host is example.com, not discord.com'],
      [`https://discord.com/webhooks/${id}/${TOKEN}`, 'its path does not start with /api/webhooks/'],
      ['https://discord.com/api/webhooks/', 'the webhook id and token are missing after /api/webhooks/'],
      [`https://discord.com/api/webhooks/${id}`, 'the token is missing after the webhook id'],
      [
        `https://discord.com/api/webhooks/1234/${TOKEN}`,
        'the webhook id (after /webhooks/) must be 17 to 20 digits',
      ],
      [
        `https://discord.com/api/webhooks/${id}/${TOKEN}x`,
        'the token (after the id) must be 68 characters long; this one has 69',
      ],
      [
        `https://discord.com/api/webhooks/${id}/${TOKEN.slice(1)}!`,
        'the token (after the id) may hold only letters, digits, _ and -',
      ],
      [
        `https://discord.com/api/webhooks/${id}/${TOKEN}?thread_id=1`,
        'it has a ?query or #fragment after the token; copy the URL as Discord shows it',
      ],
      [`https://discord.com/api/webhooks/${id}/${TOKEN}/github`, 'it has more path after the token'],
    ];
    for (const [url, reason] of cases) {
      expect(parseDiscordWebhookUrl(url), url).toEqual({ ok: false, reason });
      expect(reason).not.toContain(TOKEN.slice(0, 8));
    }
  });
});

describe('patterns are explained in words', () => {
  /** Every schema node with a `pattern` in the built-in plugins' options and the kernel's keys. */
  function patterned(schema: unknown, path: string, out: Array<[string, Record<string, unknown>]>) {
    if (typeof schema !== 'object' || schema === null) return out;
    const node = schema as Record<string, unknown>;
    // Instance names (propertyNames) have a test of their own, below.
    if (typeof node.pattern === 'string' && !path.endsWith('/propertyNames')) out.push([path, node]);
    for (const [k, v] of Object.entries(node)) patterned(v, `${path}/${k}`, out);
    return out;
  }

  it('no built-in option (nor an instance name) fails with a regular expression in its message', async () => {
    const nodes = patterned(buildSchema({}), 'kernel', []);
    for (const kind of Object.keys(BUILTIN_PLUGINS) as Array<keyof typeof BUILTIN_PLUGINS>)
      for (const [name, load] of Object.entries(BUILTIN_PLUGINS[kind]))
        patterned((await load()).default.options, `${kind}:${name}`, nodes);
    expect(nodes.length).toBeGreaterThanOrEqual(10);
    const ajv = createAjv();
    for (const [path, node] of nodes) {
      const validate = ajv.compile({ ...node, default: undefined });
      expect(validate('☃ not this'), path).toBe(false);
      for (const error of validate.errors ?? []) {
        const { message } = describeAjvError(error);
        expect(message, path).toMatch(/^must be /);
        expect(message, path).not.toContain(String(node.pattern));
        expect(message, path).not.toMatch(/pattern/);
      }
    }
  });

  it('an instance name that is refused is one problem, at the name, in words', async () => {
    expect(
      await problems(['inputs:', '  -feed: { use: replay }', '  ok: { use: replay }'].join('\n')),
    ).toEqual([
      '2:3 inputs.-feed instance name "-feed" must start with a letter or digit and hold only letters, digits, _ . and - (e.g. desk-webhook)',
    ]);
  });
});
