import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { loggerOptions } from './logging.js';

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
