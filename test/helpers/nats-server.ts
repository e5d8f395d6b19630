import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './instances.js';
import { spawnListening, stopChild } from './server-process.js';

export { portOpen } from './server-process.js';

const BINARY = process.env['NATS_SERVER_BIN'] ?? '/usr/sbin/nats-server';

/**
 * A NATS server of the test's own (JetStream on, its own port and store), so a test can stop and
 * restart it without disturbing other tests that share the machine's NATS.
 */
export class PrivateNats {
  private child: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    private readonly storeDir: string,
  ) {}

  static async start(): Promise<PrivateNats> {
    const nats = new PrivateNats(await freePort(), fs.mkdtempSync(path.join(os.tmpdir(), 'nats-test-')));
    await nats.up();
    return nats;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    this.child = await spawnListening(BINARY, ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir], this.port, 'nats-server');
  }

  async down(): Promise<void> {
    await stopChild(this.child, 'SIGTERM');
  }

  async stop(): Promise<void> {
    await this.down();
    fs.rmSync(this.storeDir, { recursive: true, force: true });
  }
}

/**
 * A three-node NATS JetStream cluster of the caller's own (each node its own client port, route
 * port and store), so that a node can be killed and brought back while the others keep quorum.
 */
export class PrivateNatsCluster {
  private readonly children: Array<ChildProcess | undefined> = [];
  private constructor(
    readonly ports: number[],
    private readonly routePorts: number[],
    private readonly dir: string,
  ) {}

  static async start(size = 3): Promise<PrivateNatsCluster> {
    const ports: number[] = [];
    const routes: number[] = [];
    // Distinct ports: freePort may hand back the same port twice when asked in a row.
    while (ports.length + routes.length < 2 * size) {
      const p = await freePort();
      if (!ports.includes(p) && !routes.includes(p)) (ports.length < size ? ports : routes).push(p);
    }
    const cluster = new PrivateNatsCluster(ports, routes, fs.mkdtempSync(path.join(os.tmpdir(), 'nats-cluster-')));
    await Promise.all(ports.map((_, i) => cluster.up(i)));
    return cluster;
  }

  /** The comma-separated server list, as NATS_URL takes it. */
  get url(): string {
    return this.ports.map((p) => `nats://127.0.0.1:${p}`).join(',');
  }

  async up(node: number): Promise<void> {
    const routes = this.routePorts.map((p) => `nats://127.0.0.1:${p}`).join(',');
    const args = [
      '-a', '127.0.0.1', '-p', String(this.ports[node]), '-js', '-sd', path.join(this.dir, `n${node}`),
      '-n', `n${node}`, '--cluster_name', 'loadtest', '--cluster', `nats://127.0.0.1:${this.routePorts[node]}`, '--routes', routes,
    ];
    this.children[node] = await spawnListening(BINARY, args, this.ports[node]!, `nats-server n${node}`);
  }

  /** Kills one node outright (SIGKILL). */
  async kill(node: number): Promise<void> {
    await stopChild(this.children[node], 'SIGKILL');
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((_, i) => this.kill(i)));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
