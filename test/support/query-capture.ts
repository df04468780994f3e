import pg from 'pg';

export interface CapturedQuery {
  readonly text: string;
  readonly values: readonly unknown[];
}

/**
 * Records every SQL statement the pg driver sends while recording is on, so a
 * test can EXPLAIN exactly the queries the service issues (no copy of them).
 * It observes the driver; it does not change what is sent. Install it before
 * the server opens its pool: per-client wrappers capture the method they find.
 */
export function installQueryCapture(): { record<T>(fn: () => Promise<T>): Promise<CapturedQuery[]>; uninstall(): void } {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  let sink: CapturedQuery[] | undefined;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const [first, second] = args;
    if (sink && typeof first === 'string') sink.push({ text: first, values: Array.isArray(second) ? second : [] });
    else if (sink && first && typeof first === 'object' && 'text' in first) {
      const q = first as { text: string; values?: unknown[] };
      sink.push({ text: q.text, values: q.values ?? (Array.isArray(second) ? second : []) });
    }
    return original.apply(this, args);
  };
  return {
    async record(fn) {
      const captured: CapturedQuery[] = [];
      sink = captured;
      try {
        await fn();
      } finally {
        sink = undefined;
      }
      return captured;
    },
    uninstall() {
      proto.query = original;
    },
  };
}

export interface PlanCheck {
  readonly query: string;
  /** Relations read by a sequential scan. */
  readonly seqScans: string[];
  /** Indexes the plan uses. */
  readonly indexes: string[];
}

/** EXPLAINs a captured statement with its own parameters. */
export async function explain(client: pg.Client, q: CapturedQuery): Promise<PlanCheck> {
  const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(`explain (format json) ${q.text}`, q.values as unknown[]);
  const seqScans: string[] = [];
  const indexes: string[] = [];
  const walk = (node: Record<string, unknown>) => {
    const type = node['Node Type'];
    if (type === 'Seq Scan') seqScans.push(String(node['Relation Name']));
    if (typeof node['Index Name'] === 'string') indexes.push(node['Index Name']);
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
  };
  const plans = rows[0]?.['QUERY PLAN'] as { Plan: Record<string, unknown> }[] | undefined;
  const plan = plans?.[0]?.Plan;
  if (plan) walk(plan);
  return { query: q.text, seqScans, indexes };
}
