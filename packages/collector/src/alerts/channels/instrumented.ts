/** Wraps a channel so every delivery attempt is counted and timed (wuwatch_notifications_total by result). */
import type { Notification } from '../types.js';
import type { Channel } from './channel.js';

/** Where the attempts are recorded (the collector's Metrics). */
export interface DeliveryObserver {
  observeNotification(channel: string, type: string, result: 'delivered' | 'failed', seconds: number): void;
}

/** The same channel, reporting each `send` to `observer`; errors pass through unchanged. */
export function instrumentChannel(channel: Channel, observer: DeliveryObserver): Channel {
  return {
    name: channel.name,
    type: channel.type,
    target: channel.target,
    async send(n: Notification): Promise<void> {
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      try {
        await channel.send(n);
      } catch (err) {
        observer.observeNotification(channel.name, channel.type, 'failed', seconds());
        throw err;
      }
      observer.observeNotification(channel.name, channel.type, 'delivered', seconds());
    },
    close: () => channel.close(),
  };
}
