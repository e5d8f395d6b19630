import type { Db } from '../../platform/db/db.js';
import { Batcher } from '../../shared/batcher.js';
import { existingUserIds, userIdsAbove } from './users.repo.js';

/** Ids per page of the bitset: 65,536 ids in 8 KB. */
const PAGE_IDS = 65_536;
/** Ids one range read brings at most (one row, parsed in about a millisecond). */
export const RANGE_IDS = 10_000;

/**
 * Which users exist, as far as this instance has seen. Users are never deleted, so a yes is final
 * and kept; a no is never kept (the user may be registered a moment later, on any instance).
 *
 * A fresh instance, started to absorb a flash sale say, must not ask the database about every user
 * of a stampede one by one while the stampede runs. So the ids are kept as bits (1.25 MB for ten
 * million users; at most `maxPages` pages of 8 KB, beyond which ids are looked up each time):
 * - `warm()` reads every id in the background, {@link RANGE_IDS} per query;
 * - an unknown id just above the highest read so far (a user registered since, on any instance)
 *   reads the range above it, one query shared by everyone asking meanwhile;
 * - any other unknown id is looked up, the lookups of one tick in one query.
 */
export class UserDirectory {
  private readonly pages = new Map<number, Uint32Array>();
  /** The highest id a range read has seen. */
  private top = 0;
  private reading: Promise<number> | undefined;
  private readonly lookups: Batcher<number, boolean>;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly maxPages = 2_048,
  ) {
    this.lookups = new Batcher(async (ids) => new Map([...(await existingUserIds(db, ids))].map((id) => [id, true])), false);
  }

  /** Whether the user exists: from memory when known, else from the database. */
  async exists(id: number): Promise<boolean> {
    if (this.has(id)) return true;
    if (id > this.top && id - this.top <= RANGE_IDS) {
      await this.readAbove();
      if (this.has(id)) return true;
    }
    const found = await this.lookups.get(id);
    if (found) this.add(id);
    return found;
  }

  /** Records a user known to exist (just registered here, or found by another query). */
  add(id: number): void {
    const index = Math.floor(id / PAGE_IDS);
    let page = this.pages.get(index);
    if (!page) {
      if (this.pages.size >= this.maxPages) return;
      page = new Uint32Array(PAGE_IDS / 32);
      this.pages.set(index, page);
    }
    const bit = id % PAGE_IDS;
    page[bit >>> 5]! |= 1 << (bit & 31);
  }

  has(id: number): boolean {
    const page = this.pages.get(Math.floor(id / PAGE_IDS));
    if (!page) return false;
    const bit = id % PAGE_IDS;
    return (page[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }

  /**
   * Reads every id, a range at a time, until the last range comes back short, the pages are all
   * used, or `stop()`. For the background: a failed read ends it (lookups still answer).
   */
  async warm(): Promise<void> {
    try {
      while (!this.stopped && this.pages.size < this.maxPages) {
        if ((await this.readAbove()) < RANGE_IDS) return;
      }
    } catch {
      // The database is away; every unknown id is looked up instead.
    }
  }

  /** Ends `warm()` after its current read; resolves when that read is over. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.reading?.catch(() => undefined);
  }

  /** Reads the ids above the highest seen; concurrent callers share one read. Resolves to how many it read. */
  private readAbove(): Promise<number> {
    this.reading ??= userIdsAbove(this.db, this.top, RANGE_IDS)
      .then((ids) => {
        for (const id of ids) this.add(id);
        if (ids.length > 0) this.top = Math.max(this.top, ids[ids.length - 1]!);
        return ids.length;
      })
      .finally(() => (this.reading = undefined));
    return this.reading;
  }
}
