/** Persisted event positions: one small JSON file `{"version":1,"channels":{"System":123,…}}` in the state dir. */
import * as z from 'zod';
import { readTextIfExists, writeJsonAtomic } from '../platform/json-file.js';
import type { EventPositions, EventPositionStore } from './types.js';

/** File name of the event positions inside the state directory. */
export const EVENT_POSITIONS_FILE = 'event-positions.json';

const PositionsFileSchema = z.object({
  version: z.literal(1),
  channels: z.record(z.string(), z.number().int().nonnegative()),
});

/** Options of {@link fileEventPositionStore}. */
export interface FileEventPositionStoreOptions {
  /** Called when the file exists but cannot be used; the store then starts from scratch (events are re-read). */
  onDamaged?: (file: string, reason: string) => void;
}

/**
 * Store backed by one JSON file, replaced atomically. A damaged file is reported and treated as empty: re-reading
 * the channels (bounded by their size) is better than a service that stops on every start.
 */
export function fileEventPositionStore(file: string, opts: FileEventPositionStoreOptions = {}): EventPositionStore {
  return {
    async load() {
      const text = await readTextIfExists(file);
      if (text === null) return {};
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        opts.onDamaged?.(file, 'not JSON');
        return {};
      }
      const parsed = PositionsFileSchema.safeParse(json);
      if (!parsed.success) {
        opts.onDamaged?.(file, parsed.error.issues[0]?.message ?? 'unexpected shape');
        return {};
      }
      return { ...parsed.data.channels };
    },
    async save(positions) {
      await writeJsonAtomic(file, { version: 1, channels: positions });
    },
  };
}

/** In-memory store for tests and the simulator; `saved` lists every save. */
export function memoryEventPositionStore(
  initial: EventPositions = {},
): EventPositionStore & { saved: EventPositions[]; current: EventPositions } {
  const store = {
    saved: [] as EventPositions[],
    current: { ...initial },
    async load() {
      return { ...store.current };
    },
    async save(positions: EventPositions) {
      store.current = { ...positions };
      store.saved.push({ ...positions });
    },
  };
  return store;
}
