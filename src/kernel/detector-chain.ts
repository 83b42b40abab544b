import type { Bus } from '../bus/bus.js';
import type { AnyEnvelope } from '../bus/envelope.js';
import type { TxSeen, WhaleSignal } from '../bus/events.js';
import type { DetectorHooks } from '../plugin/types.js';
import { createGate } from './gate.js';
import type { Runtime } from './instance.js';

/** Reports one detector's failure on one transaction. */
export type DetectorFailure = (instance: string, envelope: AnyEnvelope, error: unknown) => void;

/**
 * The detector chain: every `tx.seen` goes through the detectors in config order. The first
 * detector whose `admit` returns a signal admits the whale; then every detector's `annotate`
 * adds its fields, in config order; then exactly one `whale.detected` is published, with the
 * admitting instance as its source. A detector that throws is reported and skipped for that
 * transaction; the others and later transactions go on.
 */
export interface DetectorChain {
  /** Replace the detectors (config order). */
  set(detectors: Runtime[]): void;
  pause(): Promise<void>;
  resume(): void;
  close(): Promise<void>;
}

export function createDetectorChain(bus: Bus, onFailure: DetectorFailure): DetectorChain {
  const gate = createGate();
  let detectors: Runtime[] = [];
  let inflight: Promise<unknown> | null = null;

  const run = async (envelope: AnyEnvelope): Promise<void> => {
    const tx = envelope.data as TxSeen;
    let signal: WhaleSignal | null = null;
    let admitter: Runtime | null = null;
    for (const d of detectors) {
      const hooks = d.hooks as DetectorHooks | undefined;
      if (!hooks?.admit) continue;
      try {
        signal = await hooks.admit(tx);
      } catch (error) {
        onFailure(d.config.name, envelope, error);
        continue;
      }
      if (signal) {
        admitter = d;
        break;
      }
    }
    if (!signal || !admitter) return;
    for (const d of detectors) {
      const hooks = d.hooks as DetectorHooks | undefined;
      if (!hooks?.annotate) continue;
      try {
        const extra = await hooks.annotate(tx, signal);
        if (extra) signal = { ...signal, ...extra };
      } catch (error) {
        onFailure(d.config.name, envelope, error);
      }
    }
    bus.publish('whale.detected', signal, admitter.config.name);
  };

  const off = bus.subscribe(
    'detectors',
    (type) => type === 'tx.seen' && detectors.length > 0,
    async (envelope) => {
      await gate.wait();
      const work = run(envelope);
      inflight = work;
      try {
        await work;
      } finally {
        inflight = null;
      }
    },
  );

  return {
    set(next) {
      detectors = next;
    },
    async pause() {
      gate.close();
      await inflight;
    },
    resume() {
      gate.open();
    },
    close() {
      gate.open();
      return off();
    },
  };
}
