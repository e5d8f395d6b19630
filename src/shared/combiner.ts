/**
 * Sends work in batches: at most `maxInFlight` batches run at once, and what arrives while they
 * all run waits, to leave together in the next batch (up to `maxBatch`). Items submitted in the
 * same turn of the event loop leave together too (one `setImmediate`, microseconds): a finished
 * batch's answers bring their clients' next requests back in a burst, and without this the first
 * of them would take the free place alone. Under light load every item leaves on its own almost
 * at once; under heavy load the batches grow by themselves, so the cost that is paid per batch (a
 * round trip, a commit, a hot row's lock) is shared by many items.
 */
export class Combiner<I, O> {
  private queue: Array<{ input: I; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    /** Answers each input of a batch, in the batch's order, or says why that one failed. */
    private readonly run: (inputs: I[]) => Promise<Array<PromiseSettledResult<O>>>,
    private readonly maxInFlight: number,
    private readonly maxBatch: number,
  ) {}

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      this.run(batch.map((b) => b.input))
        .then(
          (results) =>
            batch.forEach((b, i) => {
              const r = results[i];
              if (r?.status === 'fulfilled') b.resolve(r.value);
              else b.reject(r ? r.reason : new Error('the batch gave no answer for this item'));
            }),
          (err: unknown) => batch.forEach((b) => b.reject(err)),
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }
}
