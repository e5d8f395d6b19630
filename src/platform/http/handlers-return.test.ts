import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../shared/project-root.js';

// A handler that returns the reply hands Fastify a thenable, and Fastify then waits for the response
// through stream listeners of its own, on every answer (decisions.md). Handlers send, or return the payload.
describe('route and error handlers', () => {
  it('never return the reply object', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) files.push(p);
      }
    };
    walk(path.join(projectRoot(), 'src'));
    const offenders = files.flatMap((f) =>
      fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => ({ where: `${path.relative(projectRoot(), f)}:${i + 1}`, line }))
        .filter(({ line }) => /\breturn reply\b|=>\s*reply\.(code|send|status|header)/.test(line))
        .map(({ where, line }) => `${where}: ${line.trim()}`),
    );
    expect(files.length).toBeGreaterThan(20);
    expect(offenders).toEqual([]);
  });
});
