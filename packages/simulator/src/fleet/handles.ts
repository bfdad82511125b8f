/** Running a shard in this process or in a forked worker process, behind one interface. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { makeError } from '@wuwatch/core';
import { errorFromWire, type FromWorker, type ToWorker } from './messages.js';
import { Shard, type ShardEvents, type ShardMachine, type ShardOptions } from './shard.js';

/** A shard wherever it runs. */
export interface ShardHandle {
  /** Starts machines; resolves once they all run. */
  add(machines: ShardMachine[]): Promise<void>;
  /** Stops the shard's agents (and its process). Idempotent. */
  stop(): Promise<void>;
}

/** A shard in this process. */
export function inProcessShard(options: ShardOptions, events: ShardEvents): ShardHandle {
  const shard = new Shard(options, events);
  let stopped: Promise<void> | null = null;
  return {
    add: (machines) => shard.add(machines),
    stop: () => (stopped ??= shard.stop()),
  };
}

// The worker module next to this one: worker.ts when running from source (tsx), worker.js from dist.
function workerPath(): string {
  const self = fileURLToPath(import.meta.url);
  return fileURLToPath(new URL(self.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url));
}

/** How long a worker may take to stop its agents before it is killed. */
const WORKER_STOP_MS = 20_000;

/**
 * A shard in a forked worker process. The worker inherits this process's Node flags (tsx and the source
 * condition in development). A worker that dies fails the pending `add` calls and reports through `onExit`.
 */
export function workerShard(
  options: ShardOptions,
  events: ShardEvents & { onExit?(code: number | null): void },
): ShardHandle {
  const child: ChildProcess = fork(workerPath(), [], { execArgv: process.execArgv, stdio: 'inherit' });
  const pending = new Map<number, { resolve(): void; reject(err: Error): void }>();
  let nextId = 1;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exited = true;
      for (const p of pending.values())
        p.reject(makeError('INTERNAL', [`fleet worker ${child.pid} exited (code ${code})`]));
      pending.clear();
      events.onExit?.(code);
      resolve();
    }),
  );
  const send = (m: ToWorker) => {
    if (!exited && child.connected) child.send(m);
  };
  child.on('message', (raw) => {
    const m = raw as FromWorker;
    if (m.type === 'up') events.onUp(m.hostname);
    else if (m.type === 'added') pending.get(m.id)?.resolve();
    else if (m.type === 'failed') pending.get(m.id)?.reject(errorFromWire(m.code, m.message));
    if (m.type === 'added' || m.type === 'failed') pending.delete(m.id);
  });
  send({ type: 'init', options });
  let stopped: Promise<void> | null = null;
  return {
    add(machines) {
      if (exited)
        return Promise.reject(makeError('INTERNAL', ['a fleet worker was asked to start agents after it exited']));
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        send({ type: 'add', id, machines });
      });
    },
    stop() {
      stopped ??= (async () => {
        send({ type: 'stop' });
        const timer = setTimeout(() => child.kill('SIGKILL'), WORKER_STOP_MS);
        await exit;
        clearTimeout(timer);
      })();
      return stopped;
    },
  };
}
