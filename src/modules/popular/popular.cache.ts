import { createHash } from 'node:crypto';
import type { Db } from '../../platform/db/db.js';
import { latestRanking } from './popular.repo.js';
import { toRankingView, type RankingView } from './popular.service.js';

/** What GET /products/popular/top5 answers, serialized once per run so a read costs no work. */
export interface Snapshot {
  readonly runId: number;
  readonly runDate: string | undefined;
  readonly etag: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

function snapshotOf(runId: number, runDate: string | undefined, ranking: RankingView['ranking']): Snapshot {
  const body = JSON.stringify(ranking);
  // The run id tells runs apart; the hash keeps a recreated database (ids from 1 again) from matching old tags.
  const etag = `"${runId}-${createHash('sha256').update(body).digest('base64url').slice(0, 12)}"`;
  const headers: Record<string, string> = { etag, 'cache-control': 'no-cache', 'content-type': 'application/json; charset=utf-8' };
  if (runDate) headers['x-ranking-date'] = runDate;
  return { runId, runDate, etag, body, headers };
}

/**
 * The latest ranking, held in memory. It only moves forward: run ids follow commit order (the
 * batch lock), so a late or repeated load of an older run is ignored.
 */
export class RankingCache {
  private snapshot: Snapshot = snapshotOf(0, undefined, []);

  constructor(private readonly db: Db) {}

  current(): Snapshot {
    return this.snapshot;
  }

  /** Serves `view` if it is newer than what is served; true when it was installed. */
  install(view: RankingView): boolean {
    if (view.runId <= this.snapshot.runId) return false;
    this.snapshot = snapshotOf(view.runId, view.runDate, view.ranking);
    return true;
  }

  /** Reads the latest run from the database and serves it if newer; true when it was installed. */
  async refresh(): Promise<boolean> {
    const latest = await latestRanking(this.db);
    if (!latest || latest.run.id <= this.snapshot.runId) return false;
    return this.install(toRankingView(latest.run, latest.rows));
  }
}
