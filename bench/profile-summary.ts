import type { CpuProfile } from './cpu-profiler.js';

export interface HotFunction {
  readonly self: number;
  readonly name: string;
  readonly where: string;
}

/** The functions with the most self time (share of busy samples, 0..1), grouped by name and place. */
export function hotFunctions(profile: CpuProfile, top = 20): HotFunction[] {
  const bySelf = new Map<string, HotFunction & { hits: number }>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = busyHits(node);
    if (hits === 0) continue;
    total += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${shorten(url)}:${lineNumber + 1}` : '';
    const key = `${functionName}@${where}`;
    const entry = bySelf.get(key) ?? { self: 0, hits: 0, name: functionName || '(anonymous)', where };
    entry.hits += hits;
    bySelf.set(key, entry);
  }
  return [...bySelf.values()]
    .sort((a, b) => b.hits - a.hits)
    .slice(0, top)
    .map(({ hits, name, where }) => ({ self: hits / total, name, where }));
}

function shorten(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const src = url.search(/\/(src|bench|generated)\//);
  return src >= 0 ? url.slice(src + 1) : url.replace(/^file:\/\//, '');
}

/** Self time (share of busy samples, 0..1) by npm package, `(our code)`, `(node)` or a V8 bucket such as `(garbage collector)`. */
export function selfTimeByPackage(profile: CpuProfile): [string, number][] {
  const byPackage = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = busyHits(node);
    if (hits === 0) continue;
    total += hits;
    const key = packageOf(node.callFrame.url, node.callFrame.functionName);
    byPackage.set(key, (byPackage.get(key) ?? 0) + hits);
  }
  return [...byPackage.entries()].map(([name, hits]): [string, number] => [name, hits / total]).sort((a, b) => b[1] - a[1]);
}

function packageOf(url: string, functionName: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
  }
  if (url.startsWith('node:')) return '(node)';
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  return '(our code)';
}

/** Samples of a node, none for `(idle)`: shares are of the time the process was working. */
function busyHits(node: CpuProfile['nodes'][number]): number {
  return node.callFrame.functionName === '(idle)' ? 0 : (node.hitCount ?? 0);
}
