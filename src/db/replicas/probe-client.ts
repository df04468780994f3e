import pg from 'pg';

/**
 * One dedicated connection for health probes of one server, apart from the
 * pools that serve reads: a frozen server must not hold a probe, nor a probe
 * hold a pool connection. Every query is bounded by `timeoutMs`, connecting
 * included; on any failure the connection is thrown away and the next query
 * opens a new one.
 */
export class ProbeClient {
  private client: pg.Client | undefined;

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  /** The first row of `sql`; rejects after `timeoutMs`. */
  async row<Row>(sql: string): Promise<Row> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`probe timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return await Promise.race([this.query<Row>(sql), timeout]);
    } catch (err) {
      this.discard();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.discard();
  }

  private async query<Row>(sql: string): Promise<Row> {
    if (this.client === undefined) {
      const client = new pg.Client({
        connectionString: this.url,
        connectionTimeoutMillis: this.timeoutMs,
        application_name: 'campus-data replica probe',
      });
      // A dropped connection is reported by the next query; the event alone must not crash the process.
      client.on('error', () => this.discard());
      this.client = client;
      await client.connect();
    }
    const result = await this.client.query(sql);
    return result.rows[0] as Row;
  }

  /** Drops the connection without waiting on a server that may not answer. */
  private discard(): void {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return;
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    client.end().catch(() => undefined);
  }
}
