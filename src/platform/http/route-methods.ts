import type { FastifyInstance, RouteOptions } from 'fastify';

interface KnownPath {
  pattern: RegExp;
  methods: Set<string>;
}

const escape = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** A route pattern (`/users/:userId/balance`, `/docs/*`) as a regular expression over a path. */
function toPattern(url: string): RegExp {
  const segments = url.split('/').map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : escape(seg)));
  return new RegExp(`^${segments.join('/')}$`);
}

/**
 * Remembers which methods each route path answers, so that a known path asked with another method
 * is told 405 with `Allow` rather than 404. Only the not-found path consults it.
 */
export function trackRouteMethods(app: FastifyInstance): (path: string) => string[] {
  const known = new Map<string, KnownPath>();
  app.addHook('onRoute', (route: RouteOptions) => {
    let entry = known.get(route.url);
    if (!entry) {
      entry = { pattern: toPattern(route.url), methods: new Set() };
      known.set(route.url, entry);
    }
    for (const m of Array.isArray(route.method) ? route.method : [route.method]) entry.methods.add(m);
  });
  return (path) => {
    const allowed = new Set<string>();
    for (const { pattern, methods } of known.values()) if (pattern.test(path)) for (const m of methods) allowed.add(m);
    return [...allowed].sort();
  };
}
