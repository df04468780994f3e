// Checks that the Grafana dashboard parses and has the panels operators rely on.
import { readFileSync } from 'node:fs';

const dashboard = JSON.parse(readFileSync(new URL('../ops/grafana/campus-data.json', import.meta.url), 'utf8'));
const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
const required = [
  'grpc_server_handled_total',
  'grpc_server_handling_seconds_bucket',
  'db_client_operation_duration_seconds_bucket',
  'cache_gets_total',
  'cache_errors_total',
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
