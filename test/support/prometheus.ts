import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/server/free-port.js';

/** The first of `names` found on the PATH (or as given, when absolute and executable). */
export function binary(...names: string[]): string | undefined {
  for (const name of names) {
    try {
      return execFileSync('sh', ['-c', 'command -v "$1"', 'sh', name], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // not this one
    }
  }
  return undefined;
}

export interface PrometheusSample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

export interface RunningPrometheus {
  /** An instant query now; throws with Prometheus's error when it does not parse. */
  query(expr: string): Promise<PrometheusSample[]>;
  stop(): Promise<void>;
}

/**
 * A real Prometheus on a free loopback port, scraping `targetPort`'s /metrics
 * every second and evaluating `rules` (the text of a rules file) every second.
 * Its data lives in a temporary directory removed by `stop`.
 */
export async function startPrometheus(executable: string, targetPort: number, rules: string): Promise<RunningPrometheus> {
  const dir = await mkdtemp(path.join(tmpdir(), 'campus-prometheus-'));
  const port = await freePort();
  // Every group evaluated every second, whatever interval the file gives it.
  await writeFile(path.join(dir, 'rules.yml'), rules.replace(/^(\s*)interval: .*$/gm, '$1interval: 1s'));
  await writeFile(
    path.join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s }',
      'rule_files: [rules.yml]',
      'scrape_configs:',
      '  - job_name: campus-data',
      `    static_configs: [{ targets: ['127.0.0.1:${targetPort}'] }]`,
      '',
    ].join('\n'),
  );
  let stderr = '';
  const child: ChildProcess = spawn(
    executable,
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}): ${stderr}`);
      const ready = await fetch(`${base}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (i >= 100) throw new Error(`prometheus not ready after 10 s: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    query: async (expr) => {
      const res = await fetch(`${base}/api/v1/query?${new URLSearchParams({ query: expr })}`);
      const body = (await res.json()) as {
        status: string;
        error?: string;
        data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      if (body.status !== 'success' || !body.data) throw new Error(`${expr}: ${body.error ?? res.status}`);
      if (body.data.resultType !== 'vector') throw new Error(`${expr}: a ${body.data.resultType}, not an instant vector`);
      return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    stop,
  };
}
