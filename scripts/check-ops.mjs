// Checks that the Grafana dashboard parses and has the panels operators rely on.
import { readFileSync } from 'node:fs';

const dashboard = JSON.parse(readFileSync(new URL('../ops/grafana/campus-data.json', import.meta.url), 'utf8'));
const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
const required = [
  'campus_data:grpc_requests:rate5m',
  'campus_data:grpc_responses:rate5m',
  'campus_data:grpc_errors:ratio_rate5m',
  'campus_data:grpc_latency_seconds:p99_5m',
  'campus_data:db_latency_seconds:p99_5m',
  'campus_data:cache_hit_ratio:rate5m',
  'campus_data:cache_errors:rate5m',
  'campus_auth_events_total',
  'db_table_size_bytes',
  'db_table_rows',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
];
const missing = required.filter((metric) => !exprs.includes(metric));
const ids = dashboard.panels.map((p) => p.id);
if (missing.length > 0 || new Set(ids).size !== ids.length || dashboard.uid !== 'campus-data') {
  console.error(`dashboard invalid: missing ${missing.join(', ') || 'nothing'}; duplicate panel ids: ${ids.length !== new Set(ids).size}`);
  process.exit(1);
}
console.log(`dashboard ok: ${dashboard.panels.length} panels`);
