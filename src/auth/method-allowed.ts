/**
 * True when `method` (a gRPC path, `/package.Service/Method`, the leading
 * slash optional) matches one of `patterns`: the exact `package.Service/Method`,
 * `package.Service/*` for every method of a service, or `*` for everything.
 */
export function methodAllowed(patterns: readonly string[], method: string): boolean {
  const path = method.startsWith('/') ? method.slice(1) : method;
  const service = path.slice(0, path.lastIndexOf('/'));
  return patterns.some((p) => p === '*' || p === path || p === `${service}/*`);
}
