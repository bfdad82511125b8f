/**
 * Entry point of a fleet worker process (started with child_process.fork): runs one shard of agents so a large
 * fleet's tail pollers, sockets and timers are spread over several event loops. Exits when told to stop or when
 * the parent goes away.
 */
import { errorToWire, type FromWorker, type ToWorker } from './messages.js';
import { Shard } from './shard.js';

let shard: Shard | null = null;
let stopping: Promise<void> | null = null;

function send(m: FromWorker): void {
  if (process.connected) process.send?.(m);
}

function stop(): Promise<void> {
  stopping ??= (shard?.stop() ?? Promise.resolve()).then(() => {
    send({ type: 'stopped' });
    process.disconnect?.();
  });
  return stopping;
}

process.on('message', (raw) => {
  const m = raw as ToWorker;
  if (m.type === 'init') {
    shard = new Shard(m.options, { onUp: (hostname) => send({ type: 'up', hostname }) });
  } else if (m.type === 'add') {
    shard?.add(m.machines).then(
      () => send({ type: 'added', id: m.id }),
      (err: unknown) => send({ type: 'failed', id: m.id, ...errorToWire(err) }),
    );
  } else if (m.type === 'stop') {
    void stop();
  }
});
// The parent died or closed the channel: stop the agents rather than leave them running.
process.on('disconnect', () => void stop().then(() => process.exit(0)));
// Ctrl+C reaches the whole process group: the parent coordinates the stop, so the worker waits to be told.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => void stop().then(() => process.exit(0)));
