/**
 * `npm run mutate [-- <id text>…] [--list] [--no-baseline] [--timeout <s>]`
 *
 * Applies each hand-written mutant of scripts/mutants.ts on its own, runs the test files it names in
 * the server project, puts the source back, and reports which mutants the tests caught. A mutant that
 * survives is a rule no test holds. Sources are always restored: after each mutant, on Ctrl-C or
 * SIGTERM, on a crash, and, if the process was killed outright, at the start of the next run (the
 * originals wait in .mutate-restore.json until then).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../src/shared/project-root.js';
import { MUTANTS, type Mutant } from './mutants.js';

const root = projectRoot();
const JOURNAL = path.join(root, '.mutate-restore.json');
const VITEST = path.join(root, 'node_modules', '.bin', 'vitest');

interface Options {
  filters: string[];
  list: boolean;
  baseline: boolean;
  timeoutMs: number;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { filters: [], list: false, baseline: true, timeoutMs: 600_000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--list') opts.list = true;
    else if (a === '--no-baseline') opts.baseline = false;
    else if (a === '--timeout') opts.timeoutMs = Number(argv[++i]) * 1000;
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else opts.filters.push(a);
  }
  if (!Number.isFinite(opts.timeoutMs) || opts.timeoutMs <= 0) throw new Error('--timeout takes a number of seconds');
  return opts;
}

// ---- the sources: apply, and always restore --------------------------------------------------

/** Original contents of the files currently mutated, by absolute path. */
let originals = new Map<string, string>();

function restoreSync(): void {
  for (const [file, text] of originals) fs.writeFileSync(file, text);
  originals = new Map();
  fs.rmSync(JOURNAL, { force: true });
}

function recoverFromKilledRun(): void {
  if (!fs.existsSync(JOURNAL)) return;
  const saved = JSON.parse(fs.readFileSync(JOURNAL, 'utf8')) as Record<string, string>;
  for (const [file, text] of Object.entries(saved)) fs.writeFileSync(file, text);
  fs.rmSync(JOURNAL);
  console.log(`restored ${Object.keys(saved).length} file(s) left mutated by a run that was killed`);
}

/** The mutated contents by file, or why the mutant no longer applies (its text moved or repeats). */
function mutatedTexts(m: Mutant): Map<string, string> | string {
  const texts = new Map<string, string>();
  for (const e of m.edits) {
    const file = path.join(root, e.file);
    if (!fs.existsSync(file)) return `${e.file} does not exist`;
    const text = texts.get(file) ?? fs.readFileSync(file, 'utf8');
    const count = text.split(e.find).length - 1;
    if (count !== 1) return `${e.file}: the text to replace occurs ${count} times, not once: ${JSON.stringify(e.find.slice(0, 80))}`;
    texts.set(file, text.replace(e.find, () => e.replace));
  }
  return texts;
}

function apply(texts: Map<string, string>): void {
  for (const file of texts.keys()) originals.set(file, fs.readFileSync(file, 'utf8'));
  // Written before any source changes, so a killed run can be undone by the next one.
  fs.writeFileSync(JOURNAL, JSON.stringify(Object.fromEntries(originals)));
  for (const [file, text] of texts) fs.writeFileSync(file, text);
}

// ---- running the tests -----------------------------------------------------------------------

let running: ChildProcess | undefined;

interface RunResult {
  passed: boolean;
  timedOut: boolean;
  output: string;
  seconds: number;
}

function runTests(files: string[], timeoutMs: number, bail: boolean): Promise<RunResult> {
  const started = Date.now();
  const args = ['run', '--project', 'server', ...(bail ? ['--bail', '1'] : []), ...files];
  return new Promise((resolve) => {
    // Its own process group, so a timeout also ends the server instances the tests started.
    const child = spawn(VITEST, args, { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    running = child;
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      running = undefined;
      resolve({ passed: code === 0 && !timedOut, timedOut, output, seconds: Math.round((Date.now() - started) / 1000) });
    });
  });
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The first failing test, as vitest names it, to show what caught a mutant. */
function firstFailure(output: string): string {
  const line = /^\s*FAIL\s+(.+)$/m.exec(output)?.[1] ?? /^\s*×\s+(.+)$/m.exec(output)?.[1] ?? 'the run failed (see vitest output)';
  return line.replace(/\s+\d+ms$/, '').replace(/\s+/g, ' ').trim();
}

// ---- main ------------------------------------------------------------------------------------

function onSignal(signal: NodeJS.Signals): void {
  if (running) killGroup(running);
  restoreSync();
  console.log(`\n${signal}: sources restored`);
  process.exit(130);
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const ids = new Set<string>();
  for (const m of MUTANTS) {
    if (ids.has(m.id)) throw new Error(`duplicate mutant id ${m.id}`);
    ids.add(m.id);
  }
  const selected = MUTANTS.filter((m) => opts.filters.length === 0 || opts.filters.some((f) => m.id.includes(f)));
  if (opts.list) {
    for (const m of selected) console.log(`${m.id.padEnd(40)} ${m.rule}`);
    return 0;
  }
  if (selected.length === 0) {
    console.error('no mutant id contains any of: ' + opts.filters.join(', '));
    return 2;
  }

  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', restoreSync);
  recoverFromKilledRun();

  const stale = selected.flatMap((m) => {
    const r = mutatedTexts(m);
    return typeof r === 'string' ? [`${m.id}: ${r}`] : [];
  });
  if (stale.length > 0) {
    console.error('These mutants no longer apply; update scripts/mutants.ts:\n  ' + stale.join('\n  '));
    return 2;
  }

  if (opts.baseline) {
    const files = [...new Set(selected.flatMap((m) => m.tests))];
    console.log(`baseline: ${files.length} test file(s), unmutated`);
    const base = await runTests(files, opts.timeoutMs, false);
    if (!base.passed) {
      console.error(`The tests fail without any mutant (${base.seconds} s); a mutation score means nothing until they pass:\n${base.output.slice(-4000)}`);
      return 2;
    }
    console.log(`baseline passed in ${base.seconds} s\n`);
  }

  const survivors: Mutant[] = [];
  let caught = 0;
  for (const [i, m] of selected.entries()) {
    const texts = mutatedTexts(m) as Map<string, string>;
    apply(texts);
    let result: RunResult;
    try {
      result = await runTests(m.tests, opts.timeoutMs, true);
    } finally {
      restoreSync();
    }
    const n = `[${String(i + 1).padStart(2)}/${selected.length}]`;
    if (result.passed) {
      survivors.push(m);
      console.log(`${n} SURVIVED ${m.id} (${result.seconds} s): ${m.rule}`);
    } else {
      caught++;
      const by = result.timedOut ? `timed out after ${opts.timeoutMs / 1000} s` : firstFailure(result.output);
      console.log(`${n} caught   ${m.id} (${result.seconds} s) by ${by}`);
    }
  }

  const score = Math.round((1000 * caught) / selected.length) / 10;
  console.log(`\nmutants: ${selected.length}, caught: ${caught}, survived: ${survivors.length}, score: ${score} %`);
  for (const m of survivors) console.log(`  survived ${m.id}: ${m.rule} (${m.edits.map((e) => e.file).join(', ')})`);
  return survivors.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    restoreSync();
    process.exit(code);
  },
  (err: unknown) => {
    restoreSync();
    console.error(err);
    process.exit(2);
  },
);
