import { Type } from '@sinclair/typebox';
import { describe, expectTypeOf, it } from 'vitest';
import {
  defineDetector,
  defineInput,
  defineJob,
  defineOutput,
  type AnyEnvelope,
  type Envelope,
  type MempoolStats,
  type PluginContext,
  type ScopedBus,
  type TxReplaced,
  type TxSeen,
  type WhaleSignal,
} from '../../src/index.js';

// Type tests of the plugin contract (checked by `npm run typecheck`, which CI runs; the
// `@ts-expect-error` lines fail the check when what they refuse becomes accepted). At run time
// they only define plugins.

const Options = Type.Object({ minBtc: Type.Number({ default: 100 }), label: Type.Optional(Type.String()) });

describe('option inference', () => {
  it('ctx.options is the schema’s static type without resolve', () => {
    defineOutput({
      name: 't',
      options: Options,
      defaultEvents: ['whale.*'],
      setup(ctx) {
        expectTypeOf(ctx.options.minBtc).toEqualTypeOf<number>();
        expectTypeOf(ctx.options.label).toEqualTypeOf<string | undefined>();
        // @ts-expect-error not an option
        void ctx.options.maxBtc;
        return { deliver() {} };
      },
    });
  });

  it('ctx.options is what resolve returns, for every kind', () => {
    const resolve = (o: { minBtc: number }) => ({ minSats: o.minBtc * 1e8, at: new Date(0) });
    type Resolved = { minSats: number; at: Date };
    defineInput({
      name: 'i',
      options: Options,
      resolve,
      setup(ctx) {
        expectTypeOf(ctx.options).toEqualTypeOf<Readonly<Resolved>>();
      },
    });
    defineDetector({
      name: 'd',
      options: Options,
      resolve,
      setup(ctx) {
        expectTypeOf(ctx.options.minSats).toEqualTypeOf<number>();
        // @ts-expect-error the raw option is gone
        void ctx.options.minBtc;
        return {};
      },
    });
    defineOutput({
      name: 'o',
      options: Options,
      defaultEvents: ['*'],
      resolve: async (o) => resolve(o),
      setup(ctx) {
        expectTypeOf(ctx.options.at).toEqualTypeOf<Date>();
        return { deliver() {} };
      },
    });
    defineJob({
      name: 'j',
      options: Options,
      resolve,
      setup(ctx) {
        expectTypeOf(ctx.options.minSats).toEqualTypeOf<number>();
      },
    });
  });

  it('resolve receives the schema’s type', () => {
    defineJob({
      name: 'j',
      options: Options,
      resolve(o) {
        expectTypeOf(o.minBtc).toEqualTypeOf<number>();
        return o.minBtc;
      },
      setup(ctx) {
        expectTypeOf(ctx.options).toEqualTypeOf<number>();
      },
    });
  });
});

describe('emits', () => {
  it('ctx.bus.publish takes only the declared types, with their payloads', () => {
    defineInput({
      name: 'i',
      options: Type.Object({}),
      emits: ['tx.seen', 'mempool.stats'],
      setup(ctx) {
        const tx = {} as TxSeen;
        expectTypeOf(ctx.bus.publish('tx.seen', tx)).toEqualTypeOf<Envelope<'tx.seen'>>();
        ctx.bus.publish('mempool.stats', {} as MempoolStats);
        // @ts-expect-error not declared in emits
        ctx.bus.publish('whale.detected', {} as WhaleSignal);
        // @ts-expect-error the payload of another type
        ctx.bus.publish('mempool.stats', tx);
      },
    });
  });

  it('a plugin that declares nothing may publish any type', () => {
    defineJob({
      name: 'j',
      options: Type.Object({}),
      setup(ctx) {
        expectTypeOf(ctx.bus).toEqualTypeOf<ScopedBus>();
        ctx.bus.publish('whale.detected', {} as WhaleSignal);
      },
    });
  });
});

describe('subscribe narrowing', () => {
  it('the handler receives the envelope of the subscribed type, or the union of several', () => {
    // Never called: the types are what is checked.
    const check = (bus: ScopedBus) => {
      void bus.subscribe('tx.replaced', (e) => {
        expectTypeOf(e).toEqualTypeOf<Envelope<'tx.replaced'>>();
        expectTypeOf(e.data).toEqualTypeOf<TxReplaced>();
      });
      void bus.subscribe(['tx.seen', 'mempool.stats'], (e) => {
        expectTypeOf(e).toEqualTypeOf<Envelope<'tx.seen'> | Envelope<'mempool.stats'>>();
        if (e.type === 'tx.seen') expectTypeOf(e.data).toEqualTypeOf<TxSeen>();
        else expectTypeOf(e.data).toEqualTypeOf<MempoolStats>();
      });
    };
    void check;
    expectTypeOf<Envelope<'tx.seen'>>().toMatchTypeOf<AnyEnvelope>();
  });

  it('an output’s deliver gets any envelope; a setup handle is typed per kind', () => {
    defineOutput({
      name: 'o',
      options: Type.Object({}),
      defaultEvents: ['*'],
      // @ts-expect-error an output must return deliver
      setup: () => ({ start() {} }),
    });
    expectTypeOf<PluginContext<{ a: 1 }>['options']>().toEqualTypeOf<Readonly<{ a: 1 }>>();
  });
});
