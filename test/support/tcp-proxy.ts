import net from 'node:net';

/**
 * A TCP forwarder the test can cut: while cut, open connections are dropped
 * and new ones closed at once, as in a network partition. The server behind
 * it keeps its data.
 */
export class TcpProxy {
  private cut = false;
  private stalled = false;
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
      const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
      proxy.upstreams.add(upstream);
      upstream.on('close', () => proxy?.upstreams.delete(upstream));
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        proxy.sockets.add(a);
        a.on('error', () => b.destroy());
        a.on('close', () => {
          proxy?.sockets.delete(a);
          b.destroy();
        });
        a.pipe(b);
        if (proxy.stalled) a.pause();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    proxy = new TcpProxy(server, typeof address === 'object' && address ? address.port : 0);
    return proxy;
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

  restore(): void {
    this.cut = false;
    this.stalled = false;
    for (const socket of this.sockets) socket.resume();
  }

  async close(): Promise<void> {
    this.partition();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
