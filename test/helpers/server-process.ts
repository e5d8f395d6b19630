import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts `binary args` (a server of a test's own) and waits, at most 10 s, until it listens on `port`. */
export async function spawnListening(binary: string, args: string[], port: number, name: string): Promise<ChildProcess> {
  const child = spawn(binary, args, { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await portOpen(port))) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${name} did not start within 10 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return child;
}

/** Sends `signal` and waits for the exit; a child that is gone already (or never was) returns at once. */
export function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
