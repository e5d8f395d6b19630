import Fastify from 'fastify';

// The yardstick: a bare Fastify route on the same machine, in its own process like the service.
const app = Fastify({ logger: false });
app.get('/hello', async () => ({ hello: 'world' }));
await app.listen({ port: Number(process.env['PORT'] ?? 3100), host: '127.0.0.1' });
