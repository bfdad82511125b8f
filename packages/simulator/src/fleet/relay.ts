/**
 * A TCP relay on 127.0.0.1 between one agent and the collector. Cutting it is how a machine goes silent: the
 * connection drops without the agent's goodbye and every reconnect is refused, as when a server crashes or leaves
 * the network. The agent itself keeps running and spooling.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/** A running relay. */
export interface Relay {
  /** The collector URL to give the agent (same scheme and path, the relay's port). */
  readonly url: string;
  /** Drops every connection and stops listening; idempotent. */
  cut(): Promise<void>;
}

/** Starts a relay to the host and port of `collectorUrl`. */
export async function startRelay(collectorUrl: string): Promise<Relay> {
  const target = new URL(collectorUrl);
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host, port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  const listenPort = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  const url = new URL(collectorUrl);
  url.hostname = '127.0.0.1';
  url.port = String(listenPort);
  let cut: Promise<void> | null = null;
  return {
    url: url.toString().replace(/\/$/, ''),
    cut() {
      cut ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return cut;
    },
  };
}
