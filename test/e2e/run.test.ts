import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { start } from '../helpers/cli.js';

const RECORDER = fileURLToPath(new URL('../fixtures/plugins/recorder.mjs', import.meta.url));

const configWith = (dir: string, outputs: string[], extra: string[] = []) =>
  [
    'log: { level: info, format: json }',
    'http: { listen: "127.0.0.1:0" }',
    `storage: { path: ${dir}/spout.json }`,
    'kernel: { stopTimeout: 500ms }',
    ...extra,
    'inputs:',
    '  feed: { use: replay }',
    'outputs:',
    ...outputs,
  ].join('\n');

const recorder = (name: string, dir: string, options: string) => [
  `  ${name}:`,
  `    use: ${RECORDER}`,
  `    file: ${dir}/${name}.log`,
  ...options.split('\n').map((l) => `    ${l}`),
];

async function steps(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const e = JSON.parse(l) as { step: string; tag: string };
      return `${e.step} ${e.tag}`;
    });
}

describe('spout run (built CLI)', () => {
  it('SIGHUP restarts only the output whose option changed; an invalid file keeps the running config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-hup-'));
    const file = join(dir, 'config.yaml');
    await writeFile(
      file,
      configWith(dir, [...recorder('alpha', dir, 'tag: a1'), ...recorder('beta', dir, 'tag: b1')]),
    );
    const p = start(['run', '-c', file]);
    await p.waitFor('Spout running');

    await writeFile(
      file,
      configWith(dir, [...recorder('alpha', dir, 'tag: a1'), ...recorder('beta', dir, 'tag: b2')]),
    );
    p.child.kill('SIGHUP');
    await p.waitFor(/reloaded: restarted \[beta\], added \[\], removed \[\], 2 unchanged/);
    expect(await steps(join(dir, 'alpha.log'))).toEqual(['setup a1', 'start a1']);
    expect(await steps(join(dir, 'beta.log'))).toEqual([
      'setup b1',
      'start b1',
      'stop b1',
      'setup b2',
      'start b2',
    ]);

    await writeFile(file, configWith(dir, [...recorder('alpha', dir, 'tag: [not, a, string]')]));
    p.child.kill('SIGHUP');
    await p.waitFor(
      /configuration rejected; the running configuration stays.*outputs\.alpha\.tag {2}must be string/,
    );
    const port = Number(/http:\/\/127\.0\.0\.1:(\d+)/.exec(p.stderr())?.[1]);
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as {
      status: string;
      instances: Record<string, unknown>;
    };
    expect(health.status).toBe('healthy');
    expect(Object.keys(health.instances).sort()).toEqual(['alpha', 'beta', 'feed']);

    p.child.kill('SIGTERM');
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(await steps(join(dir, 'alpha.log'))).toEqual(['setup a1', 'start a1', 'stop a1']);
    expect(await steps(join(dir, 'beta.log'))).toEqual([
      'setup b1',
      'start b1',
      'stop b1',
      'setup b2',
      'start b2',
      'stop b2',
    ]);
  });

  it('cuts off an output whose stop hangs, stops the others, and exits with status 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-hang-'));
    const file = join(dir, 'config.yaml');
    await writeFile(
      file,
      configWith(dir, [
        ...recorder('first', dir, 'tag: f'),
        ...recorder('stuck', dir, 'tag: s\nhangOnStop: true'),
        ...recorder('last', dir, 'tag: l'),
      ]),
    );
    const p = start(['run', '-c', file]);
    await p.waitFor('Spout running');
    const began = Date.now();
    p.child.kill('SIGTERM');
    const { code } = await p.exited;
    expect(code).toBe(1);
    expect(Date.now() - began).toBeLessThan(5000);
    expect(p.stderr()).toMatch(/\[stuck\] stop did not finish within 500 ms and was cut off/);
    expect(await steps(join(dir, 'first.log'))).toContain('stop f');
    expect(await steps(join(dir, 'last.log'))).toContain('stop l');
  });

  it('console format json prints one envelope per line on stdout, logs stay on stderr', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-json-'));
    const file = join(dir, 'config.yaml');
    await writeFile(
      file,
      [
        'log: { level: info, format: json }',
        'http: { enabled: false }',
        `storage: { path: ${dir}/spout.json }`,
        'inputs:',
        '  feed:',
        '    use: replay',
        '    items:',
        '      - { type: whale.dropped, data: { txid: aa, reason: evicted } }',
        '      - { type: tx.removed, data: { txid: bb, reason: evicted } }',
        '      - { type: whale.dropped, data: { txid: cc, reason: expired } }',
        'outputs:',
        '  out: { use: console, format: json, events: [whale.dropped] }',
      ].join('\n'),
    );
    const p = start(['run', '-c', file]);
    await p.waitFor('"txid":"cc"');
    p.child.kill('SIGINT');
    expect((await p.exited).code).toBe(0);
    const envelopes = p
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; source: string; id: string; data: { txid: string } });
    expect(envelopes.map((e) => [e.type, e.source, e.data.txid])).toEqual([
      ['whale.dropped', 'feed', 'aa'],
      ['whale.dropped', 'feed', 'cc'],
    ]);
    expect(envelopes[0]?.id).toMatch(/^evt_/);
    expect(p.stderr()).toContain('"msg":"stopped cleanly"');
  });

  it('spout demo prints whale alerts within a few seconds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-demo-'));
    const p = start(['demo'], { cwd: dir });
    await p.waitFor(/WHALE [\d,.]+ BTC/, 8000);
    p.child.kill('SIGINT');
    expect((await p.exited).code).toBe(0);
  });
});

describe('a console reader that goes away (built CLI)', () => {
  it('EPIPE on stdout makes the console output unhealthy, not the process crash', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-epipe-'));
    const file = join(dir, 'config.yaml');
    await writeFile(
      file,
      [
        'log: { level: info, format: json }',
        'http: { enabled: false }',
        `storage: { path: ${dir}/spout.json }`,
        'inputs:',
        '  sim: { use: simulator, speed: 200, whalesPerHour: 3000, seed: 3 }',
        'detectors:',
        '  whales: { use: whale }',
        'outputs:',
        '  out: { use: console, format: json }',
      ].join('\n'),
    );
    const p = start(['run', '-c', file]);
    await p.waitFor('"type":"whale.detected"');
    p.child.stdout?.destroy(); // the reader goes away, like `| head -1`
    await p.waitFor(
      'stdout was closed by its reader (EPIPE); this output stops writing, the rest keeps running',
    );
    expect(p.child.exitCode).toBeNull();
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  });
});
