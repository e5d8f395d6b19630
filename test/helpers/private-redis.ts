import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './instances.js';
import { spawnListening, stopChild } from './server-process.js';

const BINARY = process.env['REDIS_SERVER_BIN'] ?? 'redis-server';

/**
 * A redis-server of the caller's own (a free port, no persistence), so that it can be stopped and
 * restarted, empty, without touching the machine's shared Redis.
 */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), fs.mkdtempSync(path.join(os.tmpdir(), 'private-redis-')));
    await redis.up();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir];
    this.child = await spawnListening(BINARY, args, this.port, 'redis-server');
  }

  /** Stops it; it loses every key (nothing is persisted). */
  async down(): Promise<void> {
    await stopChild(this.child, 'SIGKILL');
  }

  async stop(): Promise<void> {
    await this.down();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
