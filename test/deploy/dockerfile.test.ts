/**
 * deploy/Dockerfile and deploy/docker-compose.yml, checked without a Docker daemon: what the build
 * copies exists and is enough to compile, what the runtime copies is produced by the build, the
 * image runs dist/main.js, the health check fails on anything but a 2xx (503 = unhealthy), and
 * the compose file builds this Dockerfile and keeps the data on a volume.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy');

interface Instruction {
  op: string;
  args: string;
  /** Index of the stage (FROM) it belongs to. */
  stage: number;
}

/** Dockerfile instructions: comments dropped, continuation lines joined. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    const joined = pending + (pending ? ' ' : '') + line;
    if (line.endsWith('\\')) {
      pending = joined.slice(0, -1).trim();
      continue;
    }
    pending = '';
    const match = /^(\S+)\s*(.*)$/.exec(joined);
    if (!match) continue;
    const op = match[1]!.toUpperCase();
    if (op === 'FROM') stage++;
    out.push({ op, args: match[2]!, stage });
  }
  return out;
}

/** An instruction's arguments as argv: JSON (exec) form, or split on spaces. */
function argv(args: string): string[] {
  const text = args.trim();
  if (text.startsWith('[')) return JSON.parse(text) as string[];
  return text.split(/\s+/).filter(Boolean);
}

/** COPY's flags (`--from=build`) and its sources and destination. */
function copyOf(args: string): { from?: string; sources: string[]; dest: string } {
  const words = argv(args);
  const flags = words.filter((w) => w.startsWith('--'));
  const rest = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { ...(from ? { from } : {}), sources: rest.slice(0, -1), dest: rest.at(-1) as string };
}

const dockerfile = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
const steps = parseDockerfile(dockerfile);
const stages = steps
  .filter((s) => s.op === 'FROM')
  .map((s) => {
    const [image, as, name] = argv(s.args);
    return { image: image as string, name: as?.toUpperCase() === 'AS' ? name : undefined, index: s.stage };
  });
const final = stages.at(-1)!;
const inStage = (index: number, op: string) => steps.filter((s) => s.stage === index && s.op === op);
const workdir = (index: number) =>
  posix.resolve('/', argv(inStage(index, 'WORKDIR').at(-1)?.args ?? '/')[0]!);

/** The compose file builds with `context: ..`; deploy/README.md says `docker build -f deploy/Dockerfile .` from the root. */
const compose = parse(readFileSync(join(DEPLOY, 'docker-compose.yml'), 'utf8')) as {
  services: Record<
    string,
    {
      build?: { context?: string; dockerfile?: string };
      volumes?: string[];
      ports?: string[];
      env_file?: string | string[];
      stop_grace_period?: string;
    }
  >;
  volumes?: Record<string, unknown>;
};
const service = compose.services.spout!;
const CONTEXT = resolve(DEPLOY, service.build?.context ?? '.');

describe('deploy/Dockerfile', () => {
  it('builds from node:20 images only', () => {
    expect(stages.length).toBeGreaterThan(0);
    for (const { image } of stages) expect(image).toMatch(/^node:20(?:[.-]|$)/);
  });

  it('copies only sources that exist in the build context (the repository root) and are not ignored', () => {
    expect(CONTEXT).toBe(resolve(ROOT));
    const ignoreFiles = [join(CONTEXT, '.dockerignore'), join(DEPLOY, 'Dockerfile.dockerignore')];
    const ignored = ignoreFiles
      .filter((f) => existsSync(f))
      .flatMap((f) => readFileSync(f, 'utf8').split('\n'))
      .map((l) => l.trim().replace(/^\/+|\/+$/g, ''))
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'));
    const copies = steps.filter((s) => s.op === 'COPY' || s.op === 'ADD').map((s) => copyOf(s.args));
    const fromContext = copies.filter((c) => !c.from).flatMap((c) => c.sources);
    expect(fromContext.length).toBeGreaterThan(0);
    for (const source of fromContext) {
      expect(existsSync(join(CONTEXT, source)), `COPY ${source}: not in the build context`).toBe(true);
      const top = posix.normalize(source).replace(/^\.\/|\/$/g, '');
      expect(ignored, `COPY ${source} is excluded by a .dockerignore`).not.toContain(top);
    }
  });

  it('copies into the build stage everything the compiled sources import, and the build script', () => {
    const build = stages.find((s) => s.name === 'build');
    expect(build, 'a stage named build').toBeDefined();
    const copied = new Set(
      inStage(build!.index, 'COPY')
        .map((s) => copyOf(s.args))
        .filter((c) => !c.from)
        .flatMap((c) => c.sources.map((src) => posix.normalize(src).replace(/\/$/, ''))),
    );
    for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'plugins'])
      expect(copied, needed).toContain(needed);
    // `npm run build` runs these scripts' files too (tsc, then e.g. node scripts/write-entry.mjs).
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const file of pkg.scripts.build!.match(/[\w./-]+\.m?js\b/g) ?? [])
      expect(copied, `npm run build runs ${file}`).toContain(file.split('/')[0]);
    // Every relative import of the copied code stays inside what is copied (tsconfig also
    // includes bench/, which the image does not need and does not copy).
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
      });
    for (const top of ['src', 'plugins']) {
      for (const file of files(join(ROOT, top))) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
          const target = relative(ROOT, resolve(dirname(file), m[1]!)).split(/[\\/]/)[0]!;
          expect(copied, `${relative(ROOT, file)} imports ${m[1]}`).toContain(target);
        }
      }
    }
  });

  it('copies into the image only what the build stage produced: package.json, node_modules, dist', () => {
    const build = stages.find((s) => s.name === 'build')!;
    const buildDir = workdir(build.index);
    const runs = inStage(build.index, 'RUN').map((s) => s.args);
    const produced = new Set(['package.json', 'package-lock.json']);
    if (runs.some((r) => /\bnpm ci\b/.test(r))) produced.add('node_modules');
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as {
      compilerOptions: { outDir: string };
    };
    if (runs.some((r) => /\bnpm run build\b/.test(r)))
      produced.add(posix.normalize(tsconfig.compilerOptions.outDir));
    // The dev dependencies are dropped before node_modules is copied.
    expect(runs.some((r) => /\bnpm prune --omit=dev\b/.test(r))).toBe(true);
    const fromBuild = inStage(final.index, 'COPY')
      .map((s) => copyOf(s.args))
      .filter((c) => c.from === 'build')
      .flatMap((c) => c.sources);
    expect(fromBuild.map((s) => posix.basename(s)).sort()).toEqual(['dist', 'node_modules', 'package.json']);
    for (const source of fromBuild) {
      const rel = posix.relative(buildDir, posix.resolve(buildDir, source));
      expect(produced, `COPY --from=build ${source}`).toContain(rel);
    }
  });

  it('every package the compiled code imports is a dependency (kept by npm prune --omit=dev)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
      });
    for (const file of [...files(join(ROOT, 'src')), ...files(join(ROOT, 'plugins'))]) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(
        /^import (?!type\b)[^;]*?from '([^'.][^']*)'|import\('([^'.][^']*)'\)/gm,
      )) {
        const spec = (m[1] ?? m[2])!;
        if (spec.startsWith('node:')) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        expect(Object.keys(pkg.dependencies), `${relative(ROOT, file)} imports ${spec}`).toContain(name);
      }
    }
  });

  it('runs node dist/main.js run with the configuration at SPOUT_CONFIG, as a user other than root', () => {
    const entry = argv(inStage(final.index, 'ENTRYPOINT').at(-1)!.args);
    const cmd = argv(inStage(final.index, 'CMD').at(-1)!.args);
    const command = [...entry, ...cmd];
    expect(command[0]).toBe('node');
    const script = command.find((a) => a.endsWith('main.js'))!;
    expect(posix.resolve(workdir(final.index), script)).toBe(
      posix.join(workdir(final.index), 'dist/main.js'),
    );
    expect(existsSync(join(ROOT, 'dist/main.js')), 'npm run build writes dist/main.js').toBe(true);
    expect(command.slice(command.indexOf(script) + 1)[0]).toBe('run');
    const config = command[command.indexOf('--config') + 1];
    const env = inStage(final.index, 'ENV').map((s) => s.args);
    expect(env).toContain(`SPOUT_CONFIG=${config}`);
    const user = inStage(final.index, 'USER').at(-1)?.args.trim();
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(inStage(final.index, 'STOPSIGNAL').at(-1)?.args.trim()).toBe('SIGTERM');
  });

  it('puts a `spout` command on the PATH for admin commands (docker compose exec spout spout …)', () => {
    const runs = inStage(final.index, 'RUN').map((s) => s.args);
    const link = runs
      .flatMap((r) => [...r.matchAll(/\bln -s(?:f)? (\S+) (\S+)/g)])
      .find((m) => posix.basename(m[2]!) === 'spout');
    expect(link, 'ln -s …/dist/main.js /usr/local/bin/spout').toBeDefined();
    expect(link![2]).toBe('/usr/local/bin/spout');
    expect(link![1]).toBe(posix.join(workdir(final.index), 'dist/main.js'));
    // A symlink runs the file itself: it needs its #! line and the executable bit (kept by COPY).
    const main = join(ROOT, 'dist/main.js');
    expect(readFileSync(main, 'utf8')).toMatch(/^#!\/usr\/bin\/env -S ([A-Z_]+=\S+ )*node( [^\n]*)?\n/);
    expect(statSync(main).mode & 0o111).toBe(0o111);
  });

  describe('HEALTHCHECK', () => {
    const healthcheck = inStage(final.index, 'HEALTHCHECK').at(-1)!;
    const exec = argv(healthcheck.args.replace(/^(?:--\S+\s+)*CMD\s+/, ''));
    const servers: Server[] = [];
    afterEach(async () => {
      await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
    });

    /** Run the HEALTHCHECK command with its URL pointed at `url`; resolves with its exit code. */
    const check = (url: string) =>
      new Promise<number>((done) => {
        const args = exec.slice(1).map((a) => a.replace('http://127.0.0.1:8080', url));
        execFile(process.execPath, args, { timeout: 15_000 }, (error) =>
          done(error ? (typeof error.code === 'number' ? error.code : -1) : 0),
        );
      });
    const serve = async (status: number) => {
      let asked = '';
      const server = createServer((req, res) => {
        asked = req.url ?? '';
        res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
      });
      servers.push(server);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked: () => asked };
    };

    it('is a node command against /health on the exposed port, in exec form', () => {
      expect(exec[0]).toBe('node');
      expect(exec.join(' ')).toContain('http://127.0.0.1:8080/health');
      expect(inStage(final.index, 'EXPOSE').map((s) => s.args.trim())).toContain('8080');
      expect(healthcheck.args).toMatch(/--timeout=\d+s/);
    });

    it('passes on 200 (healthy or degraded), fails on 503 (unhealthy) and any other non-2xx', async () => {
      const ok = await serve(200);
      expect(await check(ok.url)).toBe(0);
      expect(ok.asked()).toBe('/health');
      expect(await check((await serve(503)).url)).toBe(1);
      expect(await check((await serve(500)).url)).toBe(1);
      expect(await check((await serve(404)).url)).toBe(1);
    });

    it('fails when nothing answers', async () => {
      const gone = await serve(200);
      await new Promise((r) => servers.pop()!.close(r));
      expect(await check(gone.url)).toBe(1);
    });
  });
});

describe('deploy/docker-compose.yml', () => {
  it('builds deploy/Dockerfile with the repository root as context', () => {
    expect(service.build?.dockerfile).toBeDefined();
    expect(resolve(CONTEXT, service.build!.dockerfile!)).toBe(join(DEPLOY, 'Dockerfile'));
  });

  it('keeps the data on a named volume at the image’s /data and mounts the config at SPOUT_CONFIG', () => {
    const volumes = (service.volumes ?? []).map((v) => v.split(':'));
    const imageVolume = argv(inStage(final.index, 'VOLUME').at(-1)!.args)[0];
    const data = volumes.find(([, target]) => target === imageVolume);
    expect(data, `a volume mounted at ${imageVolume}`).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(data![0]);
    const configPath = inStage(final.index, 'ENV')
      .map((s) => /^SPOUT_CONFIG=(\S+)/.exec(s.args)?.[1])
      .find(Boolean);
    const config = volumes.find(([, target]) => target === configPath);
    expect(config, `the configuration mounted at ${configPath}`).toBeDefined();
    expect(config![2]).toBe('ro');
  });

  it('publishes the exposed port on the loopback only and leaves time for the graceful stop', () => {
    expect(service.ports).toEqual(['127.0.0.1:8080:8080']);
    expect(service.stop_grace_period).toMatch(/^\d+s$/);
  });
});

describe('deploy/docker-compose.redis.yml (engine: redis)', () => {
  const scaled = parse(readFileSync(join(DEPLOY, 'docker-compose.redis.yml'), 'utf8')) as {
    services: Record<string, Record<string, unknown>>;
    volumes?: Record<string, unknown>;
  };
  const spout = scaled.services.spout as {
    build: { context: string; dockerfile: string };
    environment: Record<string, string>;
    deploy: { replicas: number };
    ports: string[];
    depends_on: Record<string, { condition: string }>;
  };
  const redis = scaled.services.redis as { command: string[]; volumes: string[]; healthcheck?: unknown };

  it('runs Redis with AOF persistence on a named volume, checked healthy before Spout starts', () => {
    expect(redis.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    const [volume, target] = redis.volumes[0]!.split(':');
    expect(target).toBe('/data');
    expect(Object.keys(scaled.volumes ?? {})).toContain(volume);
    expect(redis.healthcheck).toBeDefined();
    expect(spout.depends_on.redis?.condition).toBe('service_healthy');
  });

  it('scales the same image as the single-instance file, pointed at that Redis, one loopback port per replica', () => {
    expect(resolve(DEPLOY, spout.build.context, spout.build.dockerfile)).toBe(join(DEPLOY, 'Dockerfile'));
    expect(spout.deploy.replicas).toBeGreaterThanOrEqual(2);
    expect(new URL(spout.environment.REDIS_URL!).hostname).toBe('redis');
    const [, from, to] = /^127\.0\.0\.1:(\d+)-(\d+):8080$/.exec(spout.ports[0]!)!;
    expect(Number(to) - Number(from) + 1).toBe(spout.deploy.replicas);
  });
});
