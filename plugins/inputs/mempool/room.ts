import { getHeapSpaceStatistics } from 'node:v8';

/** V8's collector as `--expose-gc` gives it (`globalThis.gc`): what a young collection needs of it. */
export type YoungCollector = (options: { type: 'minor' }) => unknown;

/** What {@link createFrameRoom} reads and calls; V8's own by default. */
export interface FrameRoomOptions {
  /** The young-generation collector; `globalThis.gc` by default, and without it nothing is done. */
  gc?: YoungCollector | null;
  /** Bytes left in V8's young generation before its next collection. */
  youngRoom?: () => number;
  /** Frames shorter than this are never given room (their decoding is too small to matter). Default 64 KiB. */
  minBytes?: number;
}

// A frame takes about its own length in string (one byte per character for the ASCII that
// mempool.space sends) and as much again in the objects JSON.parse makes of it (measured: 4.6–5.4
// MB of heap for frames of 2.2–2.6 MB); the rest is a margin for what handling it allocates.
const FRAME_FACTOR = 2.5;

function newSpaceRoom(): number {
  for (const space of getHeapSpaceStatistics())
    if (space.space_name === 'new_space') return space.space_available_size;
  return Number.POSITIVE_INFINITY;
}

/**
 * Make room in V8's young generation before a large frame is decoded and parsed: called with the
 * frame's length in bytes, it collects the young generation first (`gc({ type: 'minor' })`) when
 * less room is left than the frame will take, and returns whether it did.
 *
 * Why: a collection that comes while a frame is being parsed finds the frame's string alive, and
 * a string of megabytes is a large object, moved to the old generation at the first collection
 * it survives, where only a full collection frees it. The 1M-transaction benchmark's frames
 * (2.2–2.6 MB) then piled up in the old generation between full collections: V8's heap at 1M
 * was 136–165 MB (three runs) for a live set of about 30, and RSS at 1M 208–266 MiB (six runs).
 * Collecting just before, when a collection is due anyway, keeps them young: heap at 1M 74–98 MB,
 * RSS at 1M 166–190 MiB (six runs), and −0.2% to +13% transactions per CPU-second (median +5%)
 * in six rounds beside the build without it (the collection the parse would have made is made
 * earlier, over fewer live objects). Never throws: without the collector (node started without
 * `--expose-gc`, which every launcher passes), or for a short frame, it does nothing.
 */
export function createFrameRoom(options: FrameRoomOptions = {}): (bytes: number) => boolean {
  const youngRoom = options.youngRoom ?? newSpaceRoom;
  const minBytes = options.minBytes ?? 64 * 1024;
  return (bytes) => {
    if (bytes < minBytes) return false;
    const gc = options.gc === undefined ? (globalThis as { gc?: YoungCollector }).gc : options.gc;
    if (typeof gc !== 'function') return false;
    try {
      if (youngRoom() >= bytes * FRAME_FACTOR) return false;
      gc({ type: 'minor' });
      return true;
    } catch {
      return false; // a collector that fails costs the frame nothing: it is parsed as before
    }
  };
}
