import { readFileSync } from 'node:fs';

const root = new URL('../../', import.meta.url);

/** One query of a dashboard panel. */
export interface PanelQuery {
  readonly panel: string;
  readonly expr: string;
}

interface Dashboard {
  panels: { title: string; targets?: { expr?: string }[] }[];
}

/** Every query of every panel of ops/grafana/campus-data.json. */
export function dashboardQueries(): PanelQuery[] {
  const dashboard = JSON.parse(readFileSync(new URL('ops/grafana/campus-data.json', root), 'utf8')) as Dashboard;
  return dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => (t.expr ? [{ panel: p.title, expr: t.expr }] : [])));
}

/** A dashboard query as Grafana sends it with every job selected and a `rateInterval` of `$__rate_interval`. */
export function asSent(expr: string, rateInterval: string): string {
  return expr.replaceAll('$__rate_interval', rateInterval).replaceAll('$job', '.*');
}

/** One rule of ops/prometheus/rules.yml. */
export interface Rule {
  /** The recorded series or the alert's name. */
  readonly name: string;
  readonly kind: 'record' | 'alert';
  readonly expr: string;
}

export const RULES_FILE = new URL('ops/prometheus/rules.yml', root);

/**
 * The rules of ops/prometheus/rules.yml. The file keeps to a small shape
 * (`- record:`/`- alert:` items, each with an `expr:` on one line or as a `|`
 * block), which is all this reads; `expressionCount` lets a test notice when
 * the shape changes under it.
 */
export function rules(text = readFileSync(RULES_FILE, 'utf8')): { rules: Rule[]; expressionCount: number } {
  const lines = text.split('\n');
  const found: Rule[] = [];
  let current: { name: string; kind: 'record' | 'alert' } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const head = /^\s*- (record|alert): (\S+)\s*$/.exec(line);
    if (head) {
      current = { kind: head[1] as 'record' | 'alert', name: head[2] ?? '' };
      continue;
    }
    const expr = /^(\s*)expr: (.*)$/.exec(line);
    if (!expr || current === undefined) continue;
    let value = expr[2] ?? '';
    if (value.trim() === '|') {
      const indent = (expr[1] ?? '').length;
      const block: string[] = [];
      for (; i + 1 < lines.length; i++) {
        const next = lines[i + 1] ?? '';
        if (next.trim() !== '' && indentOf(next) <= indent) break;
        block.push(next.trim());
      }
      value = block.join(' ').trim();
    }
    found.push({ ...current, expr: value });
    current = undefined;
  }
  return { rules: found, expressionCount: lines.filter((l) => /^\s*expr:/.test(l)).length };
}

const indentOf = (line: string) => line.length - line.trimStart().length;

const NOT_METRICS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'and',
  'or',
  'unless',
  'inf',
  'nan',
]);

/**
 * The metric names an expression selects: every identifier that is not a
 * function, keyword, label (matchers, `by (...)` lists) or number.
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\w+/g, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/(?<![\w.:])[A-Za-z_:][\w:]*(?![\w:]|\s*\()/g)) {
    if (!NOT_METRICS.has(m[0].toLowerCase())) names.add(m[0]);
  }
  return [...names];
}

/** The metric names in a Prometheus text-format scrape. */
export function scrapedNames(body: string): Set<string> {
  const names = new Set<string>();
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const name = /^[A-Za-z_:][\w:]*/.exec(line)?.[0];
    if (name) names.add(name);
  }
  return names;
}
