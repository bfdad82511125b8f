/** Messages between the fleet and its worker processes (IPC, JSON-serialised). */
import { Errors, WuwatchError, isWuwatchError, makeError } from '@wuwatch/core';
import type { ShardMachine, ShardOptions } from './shard.js';

/** Parent → worker. */
export type ToWorker =
  { type: 'init'; options: ShardOptions } | { type: 'add'; id: number; machines: ShardMachine[] } | { type: 'stop' };

/** Worker → parent. */
export type FromWorker =
  | { type: 'up'; hostname: string }
  | { type: 'added'; id: number }
  | { type: 'failed'; id: number; code: string | null; message: string }
  | { type: 'stopped' };

/** The code and message of an error, for sending across the process boundary. */
export function errorToWire(err: unknown): { code: string | null; message: string } {
  return { code: isWuwatchError(err) ? err.code : null, message: err instanceof Error ? err.message : String(err) };
}

/** The catalogued error a worker reported (an uncatalogued one becomes WUW_INTERNAL). */
export function errorFromWire(code: string | null, message: string): WuwatchError {
  const def = Object.values(Errors).find((d) => d.code === code);
  return def ? new WuwatchError(def, message) : makeError('INTERNAL', [message]);
}
