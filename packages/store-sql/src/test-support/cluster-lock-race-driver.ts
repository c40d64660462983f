import type { StartedChild } from './child-process.js';
import type { DriverExpect, InspectableStore } from './kill-resume-driver.js';

/** Options of {@link runClusterLockRace}. */
export interface ClusterLockRaceOptions {
  expect: DriverExpect;
  /** Starts one racer (a child running `raceChildMain` on the store) with stdin piped. */
  startRacer: (who: string, rounds: number, gapMs: number) => StartedChild;
  /** Opens the store the racers write, to count the jobs afterwards. */
  openStore: () => Promise<InspectableStore>;
  /** @default 20 */
  rounds?: number;
  /** Time between rounds, ms. @default 25 */
  gapMs?: number;
}

interface RoundResult {
  round: number;
  id: string;
  outcome: 'won' | 'locked' | 'error';
  heldByJobId?: string;
  heldByOperator?: string;
  message: string;
}

async function waitForReady(ready: () => boolean, exited: Promise<unknown>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  while (!ready()) {
    if (gone) throw new Error('a racer exited before it was ready');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Two processes (`alice`, `bob`) try, at the same wall-clock millisecond, to
 * create a job on the same fresh cluster, round after round: in every round
 * exactly one wins and the other gets `ClusterLockedError` naming the
 * winner's job and operator, and the store holds exactly one job per cluster.
 */
export async function runClusterLockRace(o: ClusterLockRaceOptions): Promise<void> {
  const { expect } = o;
  const rounds = o.rounds ?? 20;
  const racers = ['alice', 'bob'].map((who) => o.startRacer(who, rounds, o.gapMs ?? 25));
  // Barrier: once both have opened the store, give them one start instant a little ahead.
  await Promise.all(racers.map((r) => waitForReady(() => r.output().stdout.startsWith('ready\n'), r.done)));
  const startAt = Date.now() + 200;
  for (const r of racers) r.child.stdin!.end(`${startAt}\n`);
  const results = await Promise.all(racers.map((r) => r.done));
  for (const r of results) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  const lines = results.map((r) => r.stdout.trim().split('\n').slice(1).map((l) => JSON.parse(l) as RoundResult));
  for (let round = 0; round < rounds; round++) {
    const [a, b] = lines.map((l) => l.find((x) => x.round === round)!);
    const outcomes = [a!.outcome, b!.outcome].sort();
    expect(outcomes, `round ${round}: ${a!.message} / ${b!.message}`).toEqual(['locked', 'won']);
    const winner = a!.outcome === 'won' ? a! : b!;
    const loser = a!.outcome === 'won' ? b! : a!;
    expect(loser.heldByJobId).toBe(winner.id);
    expect(loser.heldByOperator).toBe(winner.id.split('-')[0]);
    expect(loser.message.includes(`locked by job ${winner.id}`), loser.message).toBe(true);
  }
  const store = await o.openStore();
  try {
    for (let round = 0; round < rounds; round++) expect((await store.listJobs({ cluster: `race-${round}` })).length).toBe(1);
  } finally {
    await store.close();
  }
}
