import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './instances.js';
import { portOpen } from './server-process.js';
import { until } from './until.js';

const SERVER = process.env['REDIS_SERVER_BIN'] ?? 'redis-server';
const CLI = process.env['REDIS_CLI_BIN'] ?? 'redis-cli';
const run = promisify(execFile);

/**
 * A Redis Cluster of the test's own: `masters` redis-server processes (no replicas) on free ports,
 * their data and cluster files in a temp dir, joined with `redis-cli --cluster create`. The shared
 * Redis of the machine is never touched.
 */
export class PrivateRedisCluster {
  private constructor(
    readonly ports: number[],
    private readonly children: ChildProcess[],
    private readonly dir: string,
  ) {}

  /**
   * Ports come from freePort(), which lets the port go before redis-server binds it: under a full
   * test run another process (a client's ephemeral port, another private server) can take it in
   * between, and `--cluster create` then fails. Such a start is retried on new ports, twice.
   */
  static async start(masters = 3): Promise<PrivateRedisCluster> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await PrivateRedisCluster.startOnce(masters);
      } catch (err) {
        if (attempt === 3) throw err;
      }
    }
  }

  private static async startOnce(masters: number): Promise<PrivateRedisCluster> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-cluster-'));
    const ports: number[] = [];
    const children: ChildProcess[] = [];
    const cluster = new PrivateRedisCluster(ports, children, dir);
    try {
      for (let i = 0; i < masters; i++) {
        const [port, bus] = [await freePort(), await freePort()];
        ports.push(port);
        // Each node gets a directory of its own: its nodes.conf must never be shared.
        const nodeDir = path.join(dir, String(port));
        fs.mkdirSync(nodeDir);
        const child = spawn(
          SERVER,
          ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-port', String(bus),
            '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000', '--dir', nodeDir,
            '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
          { stdio: 'ignore' },
        );
        children.push(child);
      }
      for (const port of ports) await until(`redis-server on ${port} to listen`, () => portOpen(port));
      await run(CLI, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']).catch(
        (err: { stdout?: string; stderr?: string; message: string }) => {
          throw new Error(`redis-cli --cluster create failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
        },
      );
      for (const port of ports) {
        await until(`node ${port} to see the cluster ok`, async () => (await run(CLI, ['-p', String(port), 'cluster', 'info'])).stdout.includes('cluster_state:ok'));
      }
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** The value for REDIS_CLUSTER_NODES. */
  get nodes(): string {
    return this.ports.map((p) => `127.0.0.1:${p}`).join(',');
  }

  /** Which node's port serves a key's slot. */
  async portOf(key: string): Promise<number> {
    const slot = Number((await run(CLI, ['-p', String(this.ports[0]), 'cluster', 'keyslot', key])).stdout.trim());
    const { stdout } = await run(CLI, ['-p', String(this.ports[0]), 'cluster', 'slots']);
    // `cluster slots` prints start, end, ip, port, id per range, one value a line.
    const lines = stdout.trim().split('\n').map((l) => l.trim());
    for (let i = 0; i + 3 < lines.length; i++) {
      const [start, end, , port] = [Number(lines[i]), Number(lines[i + 1]), lines[i + 2], Number(lines[i + 3])];
      if (/^\d+$/.test(lines[i]!) && /^\d+$/.test(lines[i + 1]!) && lines[i + 2] === '127.0.0.1' && slot >= start && slot <= end) return port;
    }
    throw new Error(`no node serves slot ${slot}`);
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
