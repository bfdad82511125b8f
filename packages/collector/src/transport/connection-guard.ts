/**
 * Connection limits in front of the HTTP server (issue 14, finding 2): idle sockets from one host used to exhaust
 * file descriptors and take `/healthz` and every agent down. Every TCP connection is tracked; one that has not
 * authenticated (not yet an agent WebSocket) must send a request head within the headers timeout, and is the first
 * to go when a cap is reached. Both caps make room instead of refusing: at the global cap the oldest idle
 * unauthenticated connection is dropped, and at the per-address cap the oldest idle unauthenticated connection *of
 * that address*. A new connection cannot show what it is until its request head arrives, so refusing it at the
 * per-address cap refused a load balancer's `/healthz` probe that shared an address with a flood of idle sockets (a
 * NAT, the balancer itself); evicting keeps each address to the cap and lets the probe in. A new connection is
 * refused only when every connection of its address (or, at the global cap, every connection) is busy with a
 * request or authenticated.
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
  /** Idle connections dropped to make room for a new one of the same address (the per-address cap). */
  evictedPerAddress: number;
  /** New connections refused at the per-address cap because every connection of the address was busy. */
  refusedPerAddress: number;
  /** Idle connections dropped to make room at the global cap. */
  evicted: number;
  refusedFull: number;
  timedOut: number;
}

/** Tracks the server's connections and enforces {@link ConnectionLimits}. */
export class ConnectionGuard {
  // Keyed by remote address and port: over TLS the request's socket is a TLSSocket wrapping the TCP one.
  private readonly sockets = new Map<string, Tracked>();
  /** Each address's unauthenticated connections, oldest first (a Set keeps insertion order). */
  private readonly unauthByAddress = new Map<string, Set<Tracked>>();
  readonly stats: GuardStats = { evictedPerAddress: 0, refusedPerAddress: 0, evicted: 0, refusedFull: 0, timedOut: 0 };

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
    for (const held of this.unauthByAddress.values()) n += held.size;
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
    this.uncount(t);
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
    const held = this.unauthByAddress.get(address);
    if (held !== undefined && held.size >= this.limits.maxUnauthenticatedPerAddress && !this.evictFrom(held)) {
      this.stats.refusedPerAddress++;
      this.onDrop('per_address');
      if (this.stats.refusedPerAddress % 1000 === 1) {
        this.log.warn(
          { remote: address, held: held.size },
          'connection refused: every unauthenticated connection from it is busy',
        );
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
    let set = this.unauthByAddress.get(address);
    if (set === undefined) this.unauthByAddress.set(address, (set = new Set()));
    set.add(t);
    socket.once('close', () => {
      this.clearTimer(t);
      if (this.sockets.get(key) === t) this.sockets.delete(key);
      if (!t.authenticated) this.uncount(t);
    });
  }

  /**
   * At the per-address cap: drops the address's oldest unauthenticated connection with no request in progress, so
   * that the new one (perhaps a health probe) gets in; false when all of them are busy.
   */
  private evictFrom(held: Set<Tracked>): boolean {
    for (const t of held) {
      if (t.active !== 0) continue;
      this.stats.evictedPerAddress++;
      this.onDrop('per_address');
      if (this.stats.evictedPerAddress % 1000 === 1) {
        this.log.warn(
          { remote: t.address, held: held.size },
          'per-address cap reached: dropping its oldest idle connection',
        );
      }
      this.drop(t);
      return true;
    }
    return false;
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
        this.drop(t);
        return true;
      }
    }
    return false;
  }

  private clearTimer(t: Tracked): void {
    if (t.timer) clearTimeout(t.timer);
    t.timer = null;
  }

  /** Forgets and destroys an idle unauthenticated connection. */
  private drop(t: Tracked): void {
    this.sockets.delete(t.key);
    this.uncount(t);
    t.authenticated = true; // already uncounted; the close handler must not count it again
    this.clearTimer(t);
    t.socket.destroy();
  }

  /** Removes `t` from its address's unauthenticated connections. */
  private uncount(t: Tracked): void {
    const held = this.unauthByAddress.get(t.address);
    if (held === undefined) return;
    held.delete(t);
    if (held.size === 0) this.unauthByAddress.delete(t.address);
  }
}
