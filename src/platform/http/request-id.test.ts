import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freshRequestId } from './early-errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The first fresh id of a new process. */
function idOfAnotherProcess(): string {
  const code = "import('./src/platform/http/early-errors.ts').then((m) => console.log(m.freshRequestId()))";
  return execFileSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8' }).trim();
}

describe('fresh request ids', () => {
  it('are shaped as UUIDs and never repeat within a process', () => {
    const ids = Array.from({ length: 10_000 }, freshRequestId);
    for (const id of ids.slice(0, 10)) expect(id).toMatch(UUID);
    expect(ids.at(-1)).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('differ between processes (workers, instances): each starts from its own random prefix', () => {
    const [a, b] = [idOfAnotherProcess(), idOfAnotherProcess()];
    expect(a).toMatch(UUID);
    expect(b).toMatch(UUID);
    expect(a.slice(0, 24)).not.toBe(b.slice(0, 24));
    expect(freshRequestId().slice(0, 24)).not.toBe(a.slice(0, 24));
  });
});
