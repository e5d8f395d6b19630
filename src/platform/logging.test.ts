import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { loggerOptions, requestLoggerFactory } from './logging.js';

describe('log lines', () => {
  it('never carry a URL credential, an authorization header or a secret parameter', async () => {
    let out = '';
    const stream = new Writable({
      write(chunk, _enc, done) {
        out += String(chunk);
        done();
      },
    });
    const app = Fastify({ logger: { ...loggerOptions('info'), stream } });
    app.get('/x', async (request) => {
      request.log.error({ err: new Error('connect to postgres://admin:s3cret-pw@db:5432/shop failed') }, 'unexpected failure');
      request.log.warn('retrying redis://:s3cret-tok@cache:6379 with token=s3cret-param');
      return { ok: true };
    });
    await app.inject({ url: '/x', headers: { authorization: 'Bearer s3cret-bearer' } });
    await app.close();
    expect(out).toContain('unexpected failure');
    expect(out).toContain('postgres://***@db:5432/shop');
    expect(out).not.toMatch(/s3cret/);
  });
});

describe('request loggers', () => {
  async function logsOf(level: string, route: (log: import('fastify').FastifyBaseLogger) => void): Promise<Array<Record<string, unknown>>> {
    let out = '';
    const stream = new Writable({
      write(chunk, _enc, done) {
        out += String(chunk);
        done();
      },
    });
    const app = Fastify({ logger: { ...loggerOptions(level), stream }, childLoggerFactory: requestLoggerFactory, genReqId: () => 'req-1' });
    app.get('/x', async (request) => {
      route(request.log);
      return { ok: true };
    });
    await app.inject({ url: '/x' });
    await app.close();
    return out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  it('write the lines of enabled levels with the request id, and nothing for the others', async () => {
    const lines = await logsOf('warn', (log) => {
      log.info('not written');
      log.debug('not written either');
      log.warn({ n: 1 }, 'written');
      log.error('also written');
    });
    expect(lines.map((l) => [l['msg'], l['reqId']])).toEqual([
      ['written', 'req-1'],
      ['also written', 'req-1'],
    ]);
    expect(lines[0]).toMatchObject({ n: 1, level: 40 });
  });

  it("keep Fastify's request lines at info, with the request id", async () => {
    const lines = await logsOf('info', (log) => log.info('in the handler'));
    expect(lines.map((l) => [l['msg'], l['reqId']])).toEqual([
      ['incoming request', 'req-1'],
      ['in the handler', 'req-1'],
      ['request completed', 'req-1'],
    ]);
  });

  it('follow a change of the level made after the request started', async () => {
    const lines = await logsOf('warn', (log) => {
      log.info('before');
      log.level = 'info';
      log.info('after');
    });
    expect(lines.map((l) => l['msg'])).toEqual(['after', 'request completed']);
  });
});
