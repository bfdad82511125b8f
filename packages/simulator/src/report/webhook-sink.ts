/**
 * A local webhook receiver on 127.0.0.1: hands every JSON body POSTed to it to a callback (the demo prints
 * them). It answers 204 at once, so the collector's delivery counts as done.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running sink. */
export interface WebhookSink {
  readonly url: string;
  /** Bodies received so far. */
  readonly received: number;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;

/** Starts the sink; `onPayload` gets each parsed body (or the raw text when it is not JSON). */
export async function startWebhookSink(onPayload: (payload: unknown) => void, port = 0): Promise<WebhookSink> {
  let received = 0;
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let payload: unknown = text;
      try {
        payload = JSON.parse(text);
      } catch {
        // keep the raw text: the sink shows whatever arrives
      }
      received++;
      res.writeHead(204).end();
      onPayload(payload);
    });
  });
  const bound = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  return {
    url: `http://127.0.0.1:${bound}/alerts`,
    get received() {
      return received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
