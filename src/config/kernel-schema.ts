import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { EVENT_TYPES } from '../bus/catalogue.js';
import { HELPER_THREADS_NICE } from '../kernel/helper-threads.js';
import { Duration as DurationType, Secret, StringEnum } from '../plugin/schema.js';

/** Config sections and the kind of plugin each holds, in the order they are documented. */
export const SECTIONS = { inputs: 'input', detectors: 'detector', outputs: 'output', jobs: 'job' } as const;
export type Section = keyof typeof SECTIONS;

const families = [...new Set(EVENT_TYPES.map((t) => `${t.split('.')[0]}.*`))];
/** Every value allowed in an `events:` list. */
export const EVENT_PATTERNS = ['*', ...families, ...EVENT_TYPES];

/** `filter:` of an output: conditions on whale fields an event must meet to be delivered. */
export const FilterSchema = Type.Object(
  {
    minBtc: Type.Optional(
      Type.Number({ minimum: 0, description: 'Only whales moving at least this many BTC.' }),
    ),
    minUsd: Type.Optional(
      Type.Number({ minimum: 0, description: 'Only whales worth at least this many USD (needs a price).' }),
    ),
    minUrgency: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: 'Only whales with urgency score ≥ this.' }),
    ),
    urgency: Type.Optional(Type.Array(StringEnum(['low', 'medium', 'high', 'critical']), { minItems: 1 })),
    status: Type.Optional(
      Type.Array(StringEnum(['pending', 'confirmed', 'replaced', 'dropped']), { minItems: 1 }),
    ),
    flow: Type.Optional(
      Type.Array(StringEnum(['inflow', 'outflow', 'internal', 'unknown']), {
        minItems: 1,
        description: 'Only whales of these flow types (a whale without the flow detector is unknown).',
      }),
    ),
    entity: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        description:
          'Only whales from or to one of these labelled entities (binance, okx, …; case, spaces and punctuation ignored).',
      }),
    ),
  },
  { additionalProperties: false, description: 'Conditions on whale fields; other events pass.' },
);
export type Filter = Static<typeof FilterSchema>;

/** Keys every instance may carry besides its plugin's options. */
export function reservedProperties(routed: boolean): Record<string, TSchema> {
  const base: Record<string, TSchema> = {
    use: Type.String({
      minLength: 1,
      description: 'Built-in plugin name, a path (./my/plugin.js) or an npm package.',
    }),
    enabled: Type.Boolean({
      default: true,
      description: 'false keeps the instance configured but not loaded.',
    }),
  };
  if (!routed) return base;
  return {
    ...base,
    events: Type.Array(StringEnum(EVENT_PATTERNS), {
      uniqueItems: true,
      description:
        'Event types routed to this output (whale.* for a family, * for all). Default: the plugin’s.',
    }),
    filter: FilterSchema,
  };
}

const Duration = (def: string, description: string) => DurationType({ default: def, description });

/** The kernel's own keys (everything but the four plugin sections). */
export const KernelSchema = Type.Object(
  {
    log: Type.Object(
      {
        level: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
          default: 'info',
          description: 'Least severe level written.',
        }),
        format: StringEnum(['pretty', 'json'], {
          default: 'pretty',
          description: 'pretty: readable lines; json: one JSON object per line (production).',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    storage: Type.Object(
      {
        path: Type.String({
          minLength: 1,
          default: './data/spout.json',
          description: 'lowdb JSON file, relative to the config file.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    engine: Type.Object(
      {
        use: StringEnum(['embedded', 'redis'], {
          default: 'embedded',
          description:
            'embedded: one process, the lowdb file. redis: every instance with this config and Redis forms one deployment (docs/scaling.md).',
        }),
        url: Type.String({
          format: 'redis-url',
          default: 'redis://127.0.0.1:6379',
          description:
            'redis:// or rediss:// URL of the shared Redis (engine: redis); a password in it is a secret.',
        }),
        deployment: Type.String({
          pattern: '^[A-Za-z0-9_.-]{1,64}$',
          patternErrorMessage: 'must be 1 to 64 letters, digits, _ . or -',
          default: 'spout',
          description: 'Name of the deployment: its keys in Redis start with spout:<deployment>:.',
        }),
        leaseTime: Duration(
          '10s',
          "How long the leader's lease lasts without a refresh: the longest a failover takes.",
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    http: Type.Object(
      {
        listen: Type.String({
          format: 'listen',
          default: '127.0.0.1:8080',
          description: 'host:port of /health, /metrics, /api, /ws.',
        }),
        enabled: Type.Boolean({ default: true }),
      },
      { additionalProperties: false, default: {} },
    ),
    auth: Type.Object(
      {
        secret: Type.Optional(
          Secret({ description: 'HS256 key for subscriber and API tokens (≥ 32 bytes).' }),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    kernel: Type.Object(
      {
        setupTimeout: Duration('10s', 'Longest an instance may take to set up.'),
        startTimeout: Duration('10s', 'Longest an instance may take to start.'),
        stopTimeout: Duration('5s', 'Longest an instance may take to stop; then it is cut off.'),
        drainTimeout: Duration('10s', 'Longest the bus may take to deliver what is queued at shutdown.'),
        helperThreadsNice: Type.Integer({
          minimum: 0,
          maximum: 19,
          default: HELPER_THREADS_NICE,
          description:
            "Nice value for the process's helper threads (V8's compiler workers, libuv's pool) on Linux; 0 leaves them as they are. Applies at start.",
        }),
        memory: Type.Object(
          {
            limitMb: Type.Optional(
              Type.Number({
                exclusiveMinimum: 0,
                description:
                  "The process's memory budget in MB (RSS); default: the container's limit, else V8's heap limit.",
              }),
            ),
            warningAt: Share(
              0.8,
              'Above this share of the limit: shrink caches, log once, /health degraded.',
            ),
            criticalAt: Share(
              0.9,
              'Above this share: also shed optional work (small tx.seen, gap recovery).',
            ),
            recoverAt: Share(0.7, 'Below this share: back to normal (hysteresis: no flapping).'),
            checkEvery: Duration('5s', 'How often RSS is sampled.'),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);
export type KernelConfig = Static<typeof KernelSchema>;

/** A share of the memory limit, 0 < x ≤ 1. */
function Share(byDefault: number, description: string) {
  return Type.Number({ exclusiveMinimum: 0, maximum: 1, default: byDefault, description });
}
