import type { NodeId } from '../../core/messages.js';
import { NotLeaderError } from '../../errors.js';
import { RaftPrng } from '../../raft-prng.js';
import { RaftSimCluster, type RaftSimClusterOptions } from './raft-sim-cluster.js';
import { SimFailure, type SimFailureKind } from './sim-failure.js';

/** Every knob of one simulator run; derived from the seed ("swarm testing"). */
export interface SimRunOptions {
  readonly seed: number;
  readonly cluster: RaftSimClusterOptions;
  readonly dropRate: number;
  readonly duplicateRate: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** Virtual length of the faulty safety phase. */
  readonly safetyMs: number;
  /** After healing, commit progress is required within this time. */
  readonly livenessMs: number;
  /** Mean gap between fault actions. */
  readonly faultEveryMs: number;
  readonly partitions: boolean;
  readonly crashes: boolean;
  readonly membership: boolean;
  readonly transfers: boolean;
  readonly clients: number;
  readonly keys: number;
  /** Crash loops: one member crashed and restarted repeatedly, often below the election timeout. */
  readonly crashLoops: boolean;
  /** A majority (or every member) crashed at once, each restarted after a short random time. */
  readonly massCrashes: boolean;
  /** Several voters forced to campaign at the same moment (contested elections, split votes). */
  readonly electionStorms: boolean;
  /**
   * Probability, per disk write, of crashing the writer within its sync window (before or
   * just after the write is durable), then restarting it below the election timeout.
   */
  readonly crashOnWriteRate: number;
  /** Largest tick drift: each start of a member draws its tick length in tickMs·(1 ± this). */
  readonly tickDrift: number;
  /** Test hook: called once after the cluster is built, before the run (inject extra faults). */
  readonly inject?: (cluster: RaftSimCluster) => void;
}

/** Wall-clock limits of one run (a watchdog, outside the deterministic simulation). */
export interface SimRunLimits {
  /** Wall-clock budget of the run in ms; beyond it the run fails as `hung`. */
  readonly wallBudgetMs: number;
  /** The wall clock (e.g. `performance.now`). */
  readonly wallNow: () => number;
}

/** Outcome of one run. */
export interface SimRunResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly failure?: { readonly kind: SimFailureKind; readonly message: string };
  readonly stats: {
    readonly virtualMs: number;
    readonly acknowledgedWrites: number;
    readonly reads: number;
    readonly leaders: number;
    readonly crashes: number;
    readonly messages: number;
    readonly maxApplied: number;
  };
}

/** Derives the run options from `seed`. */
export function simOptionsFromSeed(seed: number): SimRunOptions {
  const p = new RaftPrng(seed ^ 0x5eed);
  const pool = p.int(3, 6);
  const nodes = Array.from({ length: pool }, (_, i) => `n${i + 1}`);
  const voterCount = p.chance(0.1) ? 1 : Math.min(pool, p.pick([3, 3, 3, 5]));
  const voters = nodes.slice(0, voterCount);
  const heartbeatTicks = p.pick([1, 1, 2, 3]);
  const minDelayMs = p.int(1, 5);
  const long = p.chance(0.25);
  return {
    seed,
    cluster: {
      seed,
      nodes,
      voters,
      learners: p.chance(0.2) && pool > voterCount ? [nodes[voterCount] as NodeId] : [],
      tickMs: 10,
      electionTicks: 10,
      heartbeatTicks,
      snapshotThresholdEntries: p.pick([0, 5, 20, 50]),
      snapshotTrailingEntries: p.pick([0, 2, 10]),
      maxSizePerMsgBytes: p.pick([64, 512, 1024 * 1024]),
      maxInflightMsgs: p.pick([1, 2, 8, 64]),
      preVote: p.chance(0.85),
      checkQuorum: p.chance(0.85),
      asyncSyncMaxMs: p.pick([0, 1, 3, 8, 20]),
    },
    dropRate: p.pick([0, 0.01, 0.05, 0.15]),
    duplicateRate: p.pick([0, 0.02, 0.1]),
    minDelayMs,
    maxDelayMs: minDelayMs + p.int(1, 30),
    // A quarter of the runs are long enough for many leader changes and crash loops.
    safetyMs: long ? p.int(6000, 15000) : p.int(1500, 4000),
    livenessMs: 4000,
    faultEveryMs: p.int(100, 400),
    partitions: p.chance(0.7),
    crashes: p.chance(0.6),
    membership: p.chance(0.5),
    transfers: p.chance(0.4),
    clients: p.int(1, 5),
    keys: p.int(1, 4),
    crashLoops: p.chance(0.4),
    massCrashes: p.chance(0.3),
    electionStorms: p.chance(0.5),
    crashOnWriteRate: p.pick([0, 0.002, 0.01, 0.03]),
    tickDrift: p.pick([0, 0, 0.05, 0.2]),
  };
}

/** One-line description of the options (printed after `SEED=`). */
export function describeOptions(o: SimRunOptions): string {
  const c = o.cluster;
  return (
    `nodes=${c.nodes.length} voters=${c.voters.length} learners=${(c.learners ?? []).length} hb=${c.heartbeatTicks} ` +
    `snap=${c.snapshotThresholdEntries}/${c.snapshotTrailingEntries} msgBytes=${c.maxSizePerMsgBytes} inflight=${c.maxInflightMsgs} ` +
    `preVote=${c.preVote} checkQuorum=${c.checkQuorum} asyncSync=${c.asyncSyncMaxMs ?? 0} drop=${o.dropRate} dup=${o.duplicateRate} delay=${o.minDelayMs}..${o.maxDelayMs} ` +
    `safetyMs=${o.safetyMs} faults=${
      [
        o.partitions && 'partition',
        o.crashes && 'crash',
        o.crashLoops && 'crashLoop',
        o.massCrashes && 'massCrash',
        o.electionStorms && 'electionStorm',
        o.membership && 'membership',
        o.transfers && 'transfer',
      ]
        .filter(Boolean)
        .join(',') || 'none'
    } crashOnWrite=${o.crashOnWriteRate} tickDrift=${o.tickDrift} ` +
    `clients=${o.clients} keys=${o.keys}`
  );
}

/**
 * Runs one deterministic simulation: a safety phase with a random workload and faults,
 * then a liveness phase (network healed, every server up) that must commit a new write
 * on every member of the configuration within `livenessMs`. Checks run continuously.
 */
export function runSimulation(options: SimRunOptions, limits?: SimRunLimits): SimRunResult {
  let cluster: RaftSimCluster | null = null;
  let failure: SimRunResult['failure'];
  try {
    cluster = new RaftSimCluster(options.cluster);
    if (limits) {
      const c = cluster;
      const deadline = limits.wallNow() + limits.wallBudgetMs;
      c.watchdog = () => {
        if (limits.wallNow() > deadline) {
          throw new SimFailure('hung', `the run exceeded its wall-clock budget of ${limits.wallBudgetMs} ms at virtual time ${c.clock.now()} ms`);
        }
      };
    }
    options.inject?.(cluster);
    runPhases(cluster, options);
  } catch (e) {
    failure =
      e instanceof SimFailure
        ? { kind: e.kind, message: e.message }
        : { kind: 'crash', message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  const c = cluster;
  return {
    seed: options.seed,
    ok: failure === undefined,
    ...(failure ? { failure } : {}),
    stats: {
      virtualMs: c ? c.clock.now() : 0,
      acknowledgedWrites: c ? c.history.filter((h) => h.kind === 'write' && h.outcome === 'ok').length : 0,
      reads: c ? c.history.filter((h) => h.kind === 'read').length : 0,
      leaders: c ? c.checker.leadersElected : 0,
      crashes: c ? c.crashes : 0,
      messages: c ? c.net.delivered : 0,
      maxApplied: c ? c.checker.maxApplied : 0,
    },
  };
}

function runPhases(c: RaftSimCluster, o: SimRunOptions): void {
  const p = c.prng.fork();
  c.net.faults.dropRate = o.dropRate;
  c.net.faults.duplicateRate = o.duplicateRate;
  c.net.faults.minDelayMs = o.minDelayMs;
  c.net.faults.maxDelayMs = o.maxDelayMs;
  const ids = c.ids;
  const keys = Array.from({ length: o.keys }, (_, i) => `k${i}`);
  let phase: 'safety' | 'liveness' = 'safety';
  const crashed = new Set<NodeId>();
  const baseTickMs = o.cluster.tickMs ?? 10;
  const electionMs = baseTickMs * (o.cluster.electionTicks ?? 10);
  const drift = (id: NodeId): void => {
    if (o.tickDrift > 0) c.setTickMs(id, baseTickMs * (1 + (2 * p.float() - 1) * o.tickDrift));
  };
  for (const id of ids) drift(id);
  // The initial incarnations started with the base tick; restart them once with drift.
  if (o.tickDrift > 0) for (const id of ids) c.restart(id);
  /** Crashes `id` (unless down already) and restarts it `downMs` later, during the safety phase. */
  const crashFor = (id: NodeId, downMs: number): boolean => {
    if (crashed.has(id) || !c.server(id)) return false;
    crashed.add(id);
    c.crash(id);
    c.clock.setTimeout(() => {
      crashed.delete(id);
      if (phase !== 'safety') return;
      drift(id);
      c.start(id);
    }, downMs);
    return true;
  };
  if (o.crashOnWriteRate > 0) {
    const window = (o.cluster.asyncSyncMaxMs ?? 0) + 2;
    c.onDiskWrite = (id, u) => {
      if (phase !== 'safety') return;
      // A write granting a vote is a prime target: a quick restart must not vote again in that term.
      const votedForOther = u.hardState !== undefined && u.hardState.vote !== null && u.hardState.vote !== id;
      if (!p.chance(votedForOther ? Math.min(0.5, 20 * o.crashOnWriteRate) : o.crashOnWriteRate)) return;
      c.clock.setTimeout(() => {
        if (phase === 'safety') crashFor(id, votedForOther ? p.int(1, 15) : p.int(1, electionMs));
      }, p.int(0, window));
    };
  }

  // Clients: each runs one operation at a time against a server it believes is the leader.
  for (let ci = 0; ci < o.clients; ci++) {
    let hint: NodeId = p.pick(ids);
    const next = (): void => {
      if (phase !== 'safety') return;
      c.clock.setTimeout(issue, p.int(0, 40));
    };
    const issue = (): void => {
      if (phase !== 'safety') return;
      const isWrite = p.chance(0.6);
      const via = p.chance(isWrite ? 0.8 : 0.4) ? hint : p.pick(ids);
      const key = p.pick(keys);
      const onErr = (err: unknown): void => {
        if (err instanceof NotLeaderError && err.leader !== null) hint = err.leader;
        else if (err) hint = p.pick(ids);
      };
      if (isWrite) {
        c.write(via, key, (err) => {
          onErr(err);
          next();
        });
      } else {
        c.read(via, key, (err) => {
          onErr(err);
          next();
        });
      }
    };
    next();
  }

  // Nemesis.
  const faultLoop = (): void => {
    if (phase !== 'safety') return;
    const actions: (() => void)[] = [];
    if (o.partitions) {
      actions.push(() => {
        const shuffled = p.shuffle(ids);
        const cut = p.int(1, ids.length);
        c.net.heal();
        c.net.partition(shuffled.slice(0, cut), shuffled.slice(cut), p.chance(0.3));
      });
      actions.push(() => c.net.heal());
      actions.push(() => {
        const l = c.leader();
        if (!l) return;
        c.net.heal();
        c.net.partition([l.id], ids.filter((id) => id !== l.id), p.chance(0.3));
      });
    }
    if (o.crashes) {
      // Half the restarts come back below the election timeout: the vote must have survived.
      actions.push(() => void crashFor(p.pick(ids), p.chance(0.5) ? p.int(1, electionMs) : p.int(electionMs, 1000)));
    }
    if (o.crashLoops) {
      actions.push(() => {
        const id = p.chance(0.5) ? (c.leader()?.id ?? p.pick(ids)) : p.pick(ids);
        let rounds = p.int(3, 12);
        const loop = (): void => {
          if (phase !== 'safety' || rounds-- <= 0) return;
          const down = p.int(1, electionMs);
          if (crashFor(id, down)) c.clock.setTimeout(loop, down + p.int(5, 2 * electionMs));
        };
        loop();
      });
    }
    if (o.massCrashes) {
      actions.push(() => {
        const victims = p.shuffle(ids).slice(0, p.int(Math.floor(ids.length / 2) + 1, ids.length + 1));
        for (const id of victims) crashFor(id, p.chance(0.6) ? p.int(1, electionMs) : p.int(electionMs, 4 * electionMs));
      });
    }
    if (o.electionStorms) {
      actions.push(() => {
        const candidates = p.shuffle(ids).slice(0, p.int(2, 4));
        for (const id of candidates) {
          c.clock.setTimeout(() => {
            if (phase === 'safety') c.server(id)?.campaign();
          }, p.chance(0.5) ? 0 : p.int(1, 4));
        }
      });
    }
    if (o.membership) {
      actions.push(() => {
        const l = c.leader();
        if (!l) return;
        const conf = l.raft.confState();
        const voters = new Set(conf.voters);
        const learners = new Set(conf.learners);
        const others = ids.filter((id) => !voters.has(id) && !learners.has(id));
        const choices: (() => void)[] = [];
        if (others.length > 0) {
          choices.push(() => l.changeMembershipWith([{ type: 'addLearner', node: p.pick(others) }], () => {}));
          choices.push(() => l.changeMembershipWith([{ type: 'addVoter', node: p.pick(others) }], () => {}));
        }
        if (learners.size > 0) choices.push(() => l.changeMembershipWith([{ type: 'addVoter', node: p.pick([...learners]) }], () => {}));
        if (voters.size > 2) choices.push(() => l.changeMembershipWith([{ type: 'remove', node: p.pick([...voters]) }], () => {}));
        if (voters.size > 1 && others.length > 0) {
          choices.push(() =>
            l.changeMembershipWith(
              [
                { type: 'remove', node: p.pick([...voters]) },
                { type: 'addVoter', node: p.pick(others) },
              ],
              () => {},
            ),
          );
        }
        if (choices.length > 0) p.pick(choices)();
      });
    }
    if (o.transfers) {
      actions.push(() => {
        const l = c.leader();
        if (l) l.transferLeadershipWith(p.chance(0.5) ? undefined : p.pick(ids), () => {});
      });
    }
    actions.push(() => {
      c.net.faults.dropRate = p.pick([0, o.dropRate, o.dropRate * 2]);
    });
    p.pick(actions)();
    c.clock.setTimeout(faultLoop, p.int(o.faultEveryMs / 2, o.faultEveryMs * 2));
  };
  c.clock.setTimeout(faultLoop, p.int(0, o.faultEveryMs));

  c.runFor(o.safetyMs);

  // Liveness phase: heal everything, restart every server, require progress.
  phase = 'liveness';
  c.net.heal();
  c.net.faults.dropRate = 0;
  c.net.faults.duplicateRate = 0;
  for (const id of ids) c.start(id);
  crashed.clear();
  const deadline = c.clock.now() + o.livenessMs;
  let committedAt = -1;
  let pending = false;
  const done = c.runUntil(() => {
    const l = c.leader();
    if (committedAt < 0) {
      if (l && !pending && l.isLeader()) {
        pending = true;
        l.proposeWith(new TextEncoder().encode(`live=${o.seed}`), (err, index) => {
          pending = false;
          if (!err) committedAt = index as number;
        });
      }
      return false;
    }
    if (!l) return false;
    const conf = l.raft.confState();
    for (const id of new Set([...conf.voters, ...conf.votersOutgoing, ...conf.learners])) {
      const s = c.server(id);
      if (!s || s.status().appliedIndex < committedAt) return false;
    }
    return conf.votersOutgoing.length === 0;
  }, o.livenessMs);
  if (!done) {
    const dump = c.ids
      .map((id) => {
        const s = c.server(id);
        if (!s) return `${id}: down`;
        const st = s.status();
        return `${id}: ${st.role} term=${st.term} leader=${st.leader} commit=${st.commitIndex} applied=${st.appliedIndex} last=${st.lastIndex} voters=${st.conf.voters.join(',')} outgoing=${st.conf.votersOutgoing.join(',')} learners=${st.conf.learners.join(',')}`;
      })
      .join('\n  ');
    throw new SimFailure(
      'liveness',
      `no commit progress on every member within ${o.livenessMs} ms after healing (deadline ${deadline}, committed=${committedAt})\n  ${dump}`,
    );
  }
  c.checkHistory();
  c.stopAll();
}
