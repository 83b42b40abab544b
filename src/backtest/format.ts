import { EVENT_PRODUCERS } from '../bus/catalogue.js';
import type { EventMap, EventType } from '../bus/events.js';

/**
 * The recording format (docs/backtest.md): gzip-compressed NDJSON. The first line of every file
 * (every part of a rotated recording) is a {@link RecordingHeader}; each further line is one
 * {@link RecordedEvent}. Bumped when a reader of this version could not read a new file.
 */
export const RECORDING_VERSION = 1;

/** The event types a recording holds: those inputs publish, in catalogue order. */
export const RECORDED_TYPES: readonly EventType[] = (Object.keys(EVENT_PRODUCERS) as EventType[]).filter(
  (type) => EVENT_PRODUCERS[type] === 'input',
);
const RECORDED = new Set<string>(RECORDED_TYPES);

/** The first line of a recording file. */
export interface RecordingHeader {
  spout: 'recording';
  version: number;
  spoutVersion: string;
  /** ISO time the recorder started (the same in every part of one recording). */
  startedAt: string;
  /** 0 for the file named by `--out`, n for its n-th rotated part (`FILE.n.ndjson.gz`). */
  part: number;
  /** The input instances recorded, with the plugin each uses. */
  inputs: Array<{ instance: string; plugin: string }>;
}

/** One recorded event: an input's envelope without its id (derived again on replay). */
export interface RecordedEvent<K extends EventType = EventType> {
  type: K;
  /** The envelope's time: when the input published it (ISO 8601). */
  time: string;
  /** The input instance that published it. */
  source: string;
  data: EventMap[K];
}

/** What one line of a recording is. */
export type RecordingLine =
  | { kind: 'header'; header: RecordingHeader }
  | { kind: 'event'; event: RecordedEvent; ms: number }
  | { kind: 'invalid'; reason: string };

/** The header line (with its newline). */
export function headerLine(header: RecordingHeader): string {
  return JSON.stringify(header) + '\n';
}

/** One event's line (with its newline); the keys in the documented order. */
export function eventLine(event: RecordedEvent): string {
  return `{"type":${JSON.stringify(event.type)},"time":${JSON.stringify(event.time)},"source":${JSON.stringify(event.source)},"data":${JSON.stringify(event.data)}}\n`;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Read one line (without its newline). Never throws: a line that is not JSON, not a header of a
 * version this Spout reads, or not an input event with a readable time is `invalid`, with the
 * reason in words.
 */
export function parseLine(line: string): RecordingLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: 'invalid', reason: 'is not JSON' };
  }
  if (!isObject(value)) return { kind: 'invalid', reason: 'is not a JSON object' };
  if (value.spout === 'recording') return headerOf(value);
  const { type, time, source, data } = value;
  if (typeof type !== 'string' || !RECORDED.has(type))
    return {
      kind: 'invalid',
      reason: `has type ${JSON.stringify(type)}, not one of ${RECORDED_TYPES.join(', ')}`,
    };
  const ms = typeof time === 'string' ? Date.parse(time) : Number.NaN;
  if (!Number.isFinite(ms)) return { kind: 'invalid', reason: 'has no readable ISO 8601 "time"' };
  if (typeof source !== 'string' || source === '')
    return { kind: 'invalid', reason: 'has no "source" (the input instance)' };
  if (!isObject(data)) return { kind: 'invalid', reason: 'has no "data" object' };
  return { kind: 'event', event: value as unknown as RecordedEvent, ms };
}

function headerOf(value: Record<string, unknown>): RecordingLine {
  const version = value.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    return { kind: 'invalid', reason: 'is a recording header without a format version' };
  if (version > RECORDING_VERSION)
    return {
      kind: 'invalid',
      reason: `is a recording of format version ${version}, written by Spout ${String(value.spoutVersion)}; this Spout reads version ${RECORDING_VERSION}: upgrade Spout to replay it`,
    };
  const inputs = Array.isArray(value.inputs) ? value.inputs.filter(isObject) : [];
  return {
    kind: 'header',
    header: {
      spout: 'recording',
      version,
      spoutVersion: String(value.spoutVersion ?? 'unknown'),
      startedAt: typeof value.startedAt === 'string' ? value.startedAt : '',
      part: typeof value.part === 'number' && Number.isInteger(value.part) ? value.part : 0,
      inputs: inputs.map((i) => ({ instance: String(i.instance), plugin: String(i.plugin) })),
    },
  };
}
