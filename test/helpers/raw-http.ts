import net from 'node:net';
import type { FastifyInstance } from 'fastify';

/** Listens on a free local port and returns the base URL and port. */
export async function listen(app: FastifyInstance): Promise<{ baseUrl: string; port: number }> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as net.AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, port };
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Whether the server closed the connection. */
  closed: boolean;
}

/** Parses the first HTTP/1.1 response in `text` (enough for small answers with content-length). */
export function parseResponse(text: string, closed: boolean): RawAnswer {
  const [head = '', ...rest] = text.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()];
    }),
  );
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body: rest.join('\r\n\r\n'), closed };
}

/**
 * Writes `chunks` to a raw socket (each after `gapMs`, the first at once) and collects what the
 * server answers until it closes the connection or `waitMs` passes.
 */
export function rawExchange(port: number, chunks: Array<string | Buffer>, opts: { gapMs?: number; waitMs?: number } = {}): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    let done = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      socket.destroy();
      resolve(parseResponse(out, closed));
    };
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    chunks.forEach((c, i) => timers.push(setTimeout(() => socket.writable && socket.write(c), i * (opts.gapMs ?? 0))));
    timers.push(setTimeout(() => finish(false), opts.waitMs ?? 5_000));
  });
}
