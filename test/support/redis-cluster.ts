import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { freePort } from '../../src/server/free-port.js';

const run = promisify(execFile);

interface Node {
  readonly port: number;
  readonly child: ChildProcess;
}

/**
 * A Redis Cluster of the test's own: `masters` masters, each with one
 * replica, as `redis-server --cluster-enabled yes` processes on free ports
 * (client and bus port both allocated), keeping nothing but their cluster
 * config in a temp dir, created with `redis-cli --cluster create`. A master
 * whose peers miss it for `nodeTimeoutMs` is failed over to its replica.
 */
export class RedisCluster {
  private constructor(
    private readonly dir: string,
    private readonly nodes: Node[],
  ) {}

  static async start(options: { masters?: number; nodeTimeoutMs?: number } = {}): Promise<RedisCluster> {
    const masters = options.masters ?? 3;
    const dir = await mkdtemp(path.join(tmpdir(), 'redis-cluster-'));
    const nodes: Node[] = [];
    const cluster = new RedisCluster(dir, nodes);
    try {
      for (let i = 0; i < 2 * masters; i++) nodes.push(await spawnNode(dir, options.nodeTimeoutMs ?? 1_000));
      await Promise.all(nodes.map((n) => waitFor(() => answers(n.port), `redis-server on ${n.port}`)));
      await run(
        'redis-cli',
        ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'],
        {
          timeout: 30_000,
        },
      );
      await cluster.waitUntilHealthy(30_000, true);
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** REDIS_CLUSTER_NODES: two seeds are enough, the rest is discovered. */
  get seeds(): string {
    return this.nodes
      .slice(0, 2)
      .map((n) => `127.0.0.1:${n.port}`)
      .join(',');
  }

  get ports(): number[] {
    return this.nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null).map((n) => n.port);
  }

  /** The port of the master now serving the slot of `key` (as stored, prefix included). */
  async masterOf(key: string): Promise<number> {
    return (await this.masters())(key);
  }

  /** The slot map as the first live node sees it: key (as stored) -> port of the master serving its slot. */
  async masters(): Promise<(key: string) => number> {
    const ranges: { from: number; to: number; port: number }[] = [];
    const lines = (await command(this.ports[0] ?? 0, ['CLUSTER', 'NODES'])) as string;
    for (const line of lines.split('\n')) {
      const [, address, flags, , , , , state, ...slots] = line.split(' ');
      if (!flags?.includes('master') || flags.includes('fail') || state !== 'connected') continue;
      const port = Number(address?.split('@')[0]?.split(':')[1]);
      for (const range of slots) {
        const [from, to] = range.split('-').map(Number);
        if (from !== undefined && !Number.isNaN(from)) ranges.push({ from, to: to ?? from, port });
      }
    }
    return (key) => {
      const slot = calculateSlot(key);
      const owner = ranges.find((r) => slot >= r.from && slot <= r.to);
      if (owner === undefined) throw new Error(`no master serves slot ${slot}`);
      return owner.port;
    };
  }

  /** The port of a replica of the master on `masterPort`. */
  async replicaOf(masterPort: number): Promise<number> {
    const lines = ((await command(this.ports[0] ?? 0, ['CLUSTER', 'NODES'])) as string).split('\n').map((line) => line.split(' '));
    const portOf = (address: string | undefined) => Number(address?.split('@')[0]?.split(':')[1]);
    const master = lines.find(([, address]) => portOf(address) === masterPort)?.[0];
    const replica = lines.find(([, , flags, masterId]) => flags?.includes('slave') && masterId === master);
    if (master === undefined || replica === undefined) throw new Error(`no replica of ${masterPort}`);
    return portOf(replica[1]);
  }

  /** Freezes a node (SIGSTOP): its connections stay open, it answers nothing, until `resume`. */
  pause(port: number): void {
    this.nodes.find((n) => n.port === port)?.child.kill('SIGSTOP');
  }

  resume(port: number): void {
    this.nodes.find((n) => n.port === port)?.child.kill('SIGCONT');
  }

  /** Kills a node outright (SIGKILL): no goodbye to its peers or clients. */
  async kill(port: number): Promise<void> {
    const node = this.nodes.find((n) => n.port === port);
    if (node) await killNode(node);
  }

  /**
   * Every live node says cluster_state:ok, and every live replica is in sync
   * with its master; with `withReplicas`, every node also lists a replica for
   * every slot range (what clients learn from CLUSTER SLOTS).
   */
  async waitUntilHealthy(timeoutMs = 30_000, withReplicas = false): Promise<void> {
    await waitFor(
      async () => {
        for (const port of this.ports) {
          const info = (await command(port, ['CLUSTER', 'INFO']).catch(() => '')) as string;
          if (!info.includes('cluster_state:ok')) return false;
          const replication = (await command(port, ['INFO', 'replication']).catch(() => '')) as string;
          if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
          const ranges = (await command(port, ['CLUSTER', 'SLOTS']).catch(() => [])) as unknown[][];
          if (withReplicas && (ranges.length === 0 || ranges.some((range) => range.length < 4))) return false;
        }
        return true;
      },
      'cluster_state:ok',
      timeoutMs,
    );
  }

  /** Resolves once the node on `port` says cluster_state:fail (some slot is served by no live master). */
  async waitUntilDown(port: number, timeoutMs = 10_000): Promise<void> {
    await waitFor(
      async () => ((await command(port, ['CLUSTER', 'INFO']).catch(() => '')) as string).includes('cluster_state:fail'),
      `cluster_state:fail on ${port}`,
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map(killNode));
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function spawnNode(dir: string, nodeTimeoutMs: number): Promise<Node> {
  const port = await freePort();
  const bus = await freePort();
  // biome-ignore format: one flag and its value per line
  const child = spawn('redis-server', [
    '--port', String(port),
    '--cluster-port', String(bus),
    '--bind', '127.0.0.1',
    '--cluster-enabled', 'yes',
    '--cluster-config-file', `nodes-${port}.conf`,
    '--cluster-node-timeout', String(nodeTimeoutMs),
    // A replica takes over however long it was cut off: the test kills masters on purpose.
    '--cluster-replica-validity-factor', '0',
    '--dir', dir,
    '--save', '',
    '--appendonly', 'no',
  ], { stdio: 'ignore' });
  return { port, child };
}

async function killNode(node: Node): Promise<void> {
  const { child } = node;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGCONT');
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGKILL');
  });
}

async function command(port: number, args: [string, ...string[]]): Promise<unknown> {
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await redis.call(...args);
  } finally {
    redis.disconnect();
  }
}

async function answers(port: number): Promise<boolean> {
  return (await command(port, ['PING']).catch(() => '')) === 'PONG';
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
