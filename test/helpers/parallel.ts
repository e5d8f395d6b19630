/** Runs `fn` for 0..n-1 with at most `concurrency` calls in flight; results keep their index. */
export async function parallel<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      results[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return results;
}

/** Counts answers by `status code`. */
export function tally(answers: Array<{ status: number; body: any }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const k = a.status === 201 ? '201' : `${a.status} ${a.body?.code}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}
