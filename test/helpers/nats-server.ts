import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './instances.js';

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
    const child = spawn(BINARY, ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir], { stdio: 'ignore' });
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (!(await portOpen(this.port))) {
      if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error('nats-server did not start within 10 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async down(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async stop(): Promise<void> {
    await this.down();
    fs.rmSync(this.storeDir, { recursive: true, force: true });
  }
}

export async function portOpen(port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
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
    const child = spawn(BINARY, args, { stdio: 'ignore' });
    this.children[node] = child;
    const deadline = Date.now() + 10_000;
    while (!(await portOpen(this.ports[node]!))) {
      if (child.exitCode !== null) throw new Error(`nats-server n${node} exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error(`nats-server n${node} did not start within 10 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Kills one node outright (SIGKILL). */
  async kill(node: number): Promise<void> {
    const child = this.children[node];
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((_, i) => this.kill(i)));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
