import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { StoreData } from './memory.js';

/** Text is written in pieces of about this many characters, each its own (asynchronous) write. */
const PIECE_CHARS = 256 * 1024;

/** The temporary file a snapshot is written to before it is renamed over the store's. */
export const snapshotTempPath = (path: string): string =>
  join(dirname(path), `.${basename(path)}.compact.tmp`);

/**
 * Write the store's snapshot file (`{"spout":1,"collections":{…}}`, the format lowdb writes)
 * from `data` as it is while it is written, a piece at a time: between pieces the event loop runs
 * on, so a store of many megabytes is written without holding the process for the time it takes
 * to serialise it all at once (measured: 5 ms for a 0.6 MB store, growing with it). Documents
 * that change meanwhile are written as they are when reached (a Map's iteration sees changes),
 * which is why the caller keeps the journal of everything changed since it began. Written to a
 * temporary file beside the store and renamed over the snapshot: a crash leaves the old snapshot
 * whole. Resolves with the bytes written; rejects (the temporary file removed) if it cannot write.
 */
export async function writeSnapshotInPieces(path: string, data: StoreData): Promise<number> {
  const temp = snapshotTempPath(path);
  const handle = await open(temp, 'w');
  let bytes = 0;
  let piece = '{"spout":1,"collections":{';
  const put = async (text: string) => {
    piece += text;
    if (piece.length < PIECE_CHARS) return;
    const out = piece;
    piece = '';
    // writeFile writes it all from the current position (write() may write part of it).
    await handle.writeFile(out);
    bytes += Buffer.byteLength(out);
  };
  try {
    let firstCollection = true;
    for (const [name, docs] of data) {
      if (docs.size === 0) continue;
      await put(`${firstCollection ? '' : ','}${JSON.stringify(name)}:{`);
      firstCollection = false;
      let first = true;
      for (const [id, doc] of docs) {
        await put(`${first ? '' : ','}${JSON.stringify(id)}:${JSON.stringify(doc)}`);
        first = false;
      }
      await put('}');
    }
    piece += '}}';
    await handle.writeFile(piece);
    bytes += Buffer.byteLength(piece);
    await handle.close();
    await rename(temp, path);
    return bytes;
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(temp, { force: true });
    throw error;
  }
}
