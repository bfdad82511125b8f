/**
 * Connection limits in front of the HTTP server (issue 14, finding 2): idle sockets from one host used to exhaust
 * file descriptors and take `/healthz` and every agent down. Every TCP connection is tracked; one that has not
 * authenticated (not yet an agent WebSocket) is capped per remote address, must send a request head within the
 * headers timeout, and is the first to go when the global cap is reached: the oldest idle unauthenticated
 * connection is dropped to make room, so authenticated agents, `/healthz` and new agents keep getting in.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';

/** The limits, all configurable (config `limits`). */
export interface ConnectionLimits {
  /** Most TCP connections at once. */
  maxConnections: number;
  /** Most connections one remote address may hold before authenticating. */
  maxUnauthenticatedPerAddress: number;
  /** A connection must send a complete request head within this; also node's headersTimeout. */
  headersTimeoutMs: number;
}

interface Tracked {
  key: string;
  socket: Socket;
  address: string;
  authenticated: boolean;
  /** HTTP requests in progress on this socket. */
  active: number;
  timer: NodeJS.Timeout | null;
}

function keyOf(socket: { remoteAddress?: string; remotePort?: number }): string {
  return `${socket.remoteAddress ?? '?'}|${socket.remotePort ?? '?'}`;
}

/** Counts of what the guard did, for metrics and tests. */
export interface GuardStats {
  refusedPerAddress: number;
  evicted: number;
  refusedFull: number;
  timedOut: number;
}

/** Tracks the server's connections and enforces {@link ConnectionLimits}. */
export class ConnectionGuard {
  // Keyed by remote address and port: over TLS the request's socket is a TLSSocket wrapping the TCP one.
  private readonly sockets = new Map<string, Tracked>();
  private readonly unauthByAddress = new Map<string, number>();
  readonly stats: GuardStats = { refusedPerAddress: 0, evicted: 0, refusedFull: 0, timedOut: 0 };

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly log: Logger,
    /** Counts each dropped connection by reason (wuwatch_connections_dropped_total). */
    private readonly onDrop: (reason: 'per_address' | 'evicted' | 'full' | 'headers_timeout') => void = () => {},
  ) {}

  /** Connections open now. */
  get size(): number {
    return this.sockets.size;
  }

  /** Unauthenticated connections open now. */
  get unauthenticated(): number {
    let n = 0;
    for (const c of this.unauthByAddress.values()) n += c;
    return n;
  }

  /** Hooks the guard into a server (before it listens). */
  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.onConnection(socket));
    server.on('request', (req, res) => {
      const t = this.sockets.get(keyOf(req.socket));
      if (!t) return;
      t.active++;
      this.clearTimer(t);
      res.once('close', () => {
        t.active--;
        // Keep-alive idling is bounded by node's keepAliveTimeout; an idle unauthenticated socket is evictable.
      });
    });
  }

  /** Marks the socket as an authenticated agent connection: no longer capped per address or evictable. */
  authenticate(socket: Socket): void {
    const t = this.sockets.get(keyOf(socket));
    if (!t || t.authenticated) return;
    t.authenticated = true;
    this.clearTimer(t);
    this.decAddress(t.address);
  }

  /** Stops the headers timer while an upgrade is being authenticated (the database may be slow). */
  upgrading(socket: Socket): void {
    const t = this.sockets.get(keyOf(socket));
    if (t) {
      t.active++;
      this.clearTimer(t);
    }
  }

  private onConnection(socket: Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    const held = this.unauthByAddress.get(address) ?? 0;
    if (held >= this.limits.maxUnauthenticatedPerAddress) {
      this.stats.refusedPerAddress++;
      this.onDrop('per_address');
      if (this.stats.refusedPerAddress % 1000 === 1) {
        this.log.warn({ remote: address, held }, 'connection refused: too many unauthenticated connections from it');
      }
      socket.destroy();
      return;
    }
    if (this.sockets.size >= this.limits.maxConnections && !this.evictOne()) {
      this.stats.refusedFull++;
      this.onDrop('full');
      socket.destroy();
      return;
    }
    const key = keyOf(socket);
    const t: Tracked = { key, socket, address, authenticated: false, active: 0, timer: null };
    t.timer = setTimeout(() => {
      if (t.authenticated || t.active > 0) return;
      this.stats.timedOut++;
      this.onDrop('headers_timeout');
      socket.destroy();
    }, this.limits.headersTimeoutMs);
    t.timer.unref();
    this.sockets.set(key, t);
    this.unauthByAddress.set(address, held + 1);
    socket.once('close', () => {
      this.clearTimer(t);
      if (this.sockets.get(key) === t) this.sockets.delete(key);
      if (!t.authenticated) this.decAddress(address);
    });
  }

  /** Drops the oldest unauthenticated connection with no request in progress; false when there is none. */
  private evictOne(): boolean {
    for (const t of this.sockets.values()) {
      if (!t.authenticated && t.active === 0) {
        this.stats.evicted++;
        this.onDrop('evicted');
        if (this.stats.evicted % 1000 === 1) {
          this.log.warn({ remote: t.address, open: this.sockets.size }, 'connection cap reached: dropping idle ones');
        }
        this.sockets.delete(t.key);
        this.decAddress(t.address);
        t.authenticated = true; // already uncounted; the close handler must not count it again
        this.clearTimer(t);
        t.socket.destroy();
        return true;
      }
    }
    return false;
  }

  private clearTimer(t: Tracked): void {
    if (t.timer) clearTimeout(t.timer);
    t.timer = null;
  }

  private decAddress(address: string): void {
    const n = (this.unauthByAddress.get(address) ?? 1) - 1;
    if (n <= 0) this.unauthByAddress.delete(address);
    else this.unauthByAddress.set(address, n);
  }
}
