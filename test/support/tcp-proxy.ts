import net from 'node:net';
import { Transform } from 'node:stream';

/**
 * A TCP forwarder the test can cut: while cut, open connections are dropped
 * and new ones closed at once, as in a network partition. The server behind
 * it keeps its data.
 */
export class TcpProxy {
  private cut = false;
  private stalled = false;
  private dropping = false;
  private readonly sockets = new Set<net.Socket>();
  private readonly upstreams = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = net.createServer((client) => {
      if (!proxy || proxy.cut) return void client.destroy();
      if (proxy.dropping) return void proxy.blackhole(client);
      const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
      proxy.upstreams.add(upstream);
      upstream.on('close', () => proxy?.upstreams.delete(upstream));
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        proxy.sockets.add(a);
        let peerGone = false;
        // An error is followed by 'close', which tells the peer (or, while dropping, does not).
        a.on('error', () => a.destroy());
        a.on('close', () => {
          proxy?.sockets.delete(a);
          // No FIN or reset crosses a dropping network: the peer learns only when it next sends (below).
          if (proxy?.dropping) b.emit('peer-gone');
          else b.destroy();
        });
        a.on('peer-gone', () => {
          peerGone = true;
        });
        const gate = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            if (proxy?.dropping) return done();
            // Sending to a peer that went away while the network dropped everything: a reset.
            if (peerGone) {
              a.destroy();
              return done();
            }
            done(null, chunk);
          },
        });
        // A FIN goes only the way 'close' does.
        a.pipe(gate, { end: false }).pipe(b);
        if (proxy.stalled) a.pause();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    proxy = new TcpProxy(server, typeof address === 'object' && address ? address.port : 0);
    return proxy;
  }

  /** A connection opened while dropping: its bytes (the handshake too) never reach the server. */
  private blackhole(client: net.Socket): void {
    this.sockets.add(client);
    client.on('error', () => client.destroy());
    client.on('close', () => this.sockets.delete(client));
    client.on('data', () => undefined);
  }

  /** Drops every connection and refuses new ones until `restore`. */
  partition(): void {
    this.cut = true;
    for (const socket of this.sockets) socket.destroy();
  }

  /**
   * Holds every byte in flight without closing anything, as a silent
   * partition does (no reset reaches either end) until `restore`; a
   * connection opened meanwhile is as silent.
   */
  stall(): void {
    this.stalled = true;
    for (const socket of this.sockets) socket.pause();
  }

  /**
   * Lets requests through but holds the server's replies until `restore`:
   * the server has done the work, the client sees no answer (a reply lost
   * in a slow network).
   */
  holdReplies(): void {
    for (const socket of this.upstreams) socket.pause();
  }

  /**
   * A partition that keeps connections open: every byte either way is
   * dropped, and a side that closes meanwhile is not told to the other; the
   * other learns when it next sends once the network heals (a reset). A
   * connection opened meanwhile is accepted and silent for good.
   */
  dropTraffic(): void {
    this.dropping = true;
  }

  restore(): void {
    this.dropping = false;
    this.cut = false;
    this.stalled = false;
    for (const socket of this.sockets) socket.resume();
  }

  async close(): Promise<void> {
    this.partition();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
