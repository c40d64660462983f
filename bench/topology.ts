// Benchmark: Raft topology coordination over real TCP between members (RaftServer +
// TcpTransport on 127.0.0.1, system clock, in-memory Raft storage). Measures the
// coordination time of a join and of a decommission (streaming is modelled as a fixed
// delay and subtracted), and the time from killing the leader right after a saga step
// to the saga completing under the new leader. Node-agent calls (barrier, drain,
// stream, shutdown) are in-process. Last line: JSON
// {bench, join_ms, decommission_ms, failover_resume_ms, election_timeout_ms, ...}.
// Targets: join and decommission < 100 ms; failover_resume_ms < 2 x election_timeout_ms.
// Env: BENCH_TRIALS (default 10; medians are reported, and the worst failover), BENCH_TICK_MS (5),
// BENCH_ELECTION_TICKS (40): a 200 ms election timeout, randomized per node in [200, 400) ms in
// 5 ms steps. With 20 ms ticks the same timeout has only 10 distinct values, two survivors often
// time out in the same tick and split the vote, and a split vote costs another full timeout.
import { SystemClock } from '../packages/raft/src/server/clock.js';
import { TcpTransport } from '../packages/raft/src/transport/tcp-transport.js';
import { RaftTopologyCluster } from '../packages/raft/src/rafttest/index.js';
import type { CoordinatorEvent, InitialNode } from '../packages/raft/src/topology/index.js';

const TRIALS = Number(process.env['BENCH_TRIALS'] ?? 10);
const TICK_MS = Number(process.env['BENCH_TICK_MS'] ?? 5);
const ELECTION_TICKS = Number(process.env['BENCH_ELECTION_TICKS'] ?? 40);
const STREAM_DELAY_MS = 50;
const ELECTION_TIMEOUT_MS = TICK_MS * ELECTION_TICKS;

let killedAtGlobal = 0;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!pred()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(1);
  }
}

async function listen(id: string, port = 0): Promise<TcpTransport> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await TcpTransport.create({ id, listen: { host: '127.0.0.1', port }, peers: {}, minBackoffMs: 5, maxBackoffMs: 50 });
    } catch (e) {
      if (attempt > 50) throw e;
      await sleep(10);
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Trial {
  join: number;
  decommission: number;
  failover: number;
}

async function trial(t: number): Promise<Trial> {
  const ids = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
  const founders: InitialNode[] = ids.slice(0, 4).map((id, i) => ({ id, address: `127.0.0.${i + 1}`, dc: 'dc1', rack: 'r1' }));
  const transports = new Map<string, TcpTransport>();
  const ports = new Map<string, number>();
  for (const id of ids) {
    const tr = await listen(id);
    transports.set(id, tr);
    ports.set(id, tr.port);
  }
  const wirePeers = (tr: TcpTransport, self: string): void => {
    for (const [id, port] of ports) if (id !== self) tr.setPeer(id, { host: '127.0.0.1', port });
  };
  for (const [id, tr] of transports) wirePeers(tr, id);

  let onStep: ((id: string, e: CoordinatorEvent) => void) | undefined;
  const c = new RaftTopologyCluster({
    nodes: founders,
    clock: new SystemClock(),
    seed: t + 1,
    transport: (id) => transports.get(id)!,
    tickMs: TICK_MS,
    electionTicks: ELECTION_TICKS,
    streamDelayMs: STREAM_DELAY_MS,
    rpcTimeoutMs: 2000,
    streamTimeoutMs: 10_000,
    retryDelayMs: 10,
    onCoordinatorEvent: (id, e) => {
      if (process.env['BENCH_DEBUG'] && killedAtGlobal) console.error((performance.now() - killedAtGlobal).toFixed(0), id, e.type, 'term' in e ? e.term : '', 'step' in e ? e.step.kind : '', 'result' in e ? JSON.stringify(e.result).slice(0, 120) : '', 'error' in e ? String((e.error as Error)?.message) : '');
      onStep?.(id, e);
    },
  });
  try {
    await waitFor(() => c.leaderId !== undefined && c.state().coordinatorTerm > 0, 10_000, 'a leader');

    // Join: one stream_ranges call (to the joining node), subtracted.
    let t0 = performance.now();
    const join = await c.request({ kind: 'join', node: { id: 'n5', address: '127.0.0.5', dc: 'dc1', rack: 'r1' } });
    const joinMs = performance.now() - t0 - STREAM_DELAY_MS;
    if (join.status !== 'done') throw new Error(`join ${join.status}: ${join.reason}`);

    // Decommission of a non-leader: one stream_ranges call (from the leaving node), subtracted.
    const leader = c.leaderId!;
    const victim = ['n2', 'n3', 'n4'].find((id) => id !== leader)!;
    t0 = performance.now();
    const leave = await c.request({ kind: 'leave', nodeId: victim });
    const decommissionMs = performance.now() - t0 - STREAM_DELAY_MS;
    if (leave.status !== 'done') throw new Error(`decommission ${leave.status}: ${leave.reason}`);

    // Failover: kill the leader right after the `streamed` step of a decommission (it
    // restarts at once with its storage, as a follower); time until the saga is done.
    const leader2 = c.leaderId!;
    const victim2 = ['n1', 'n2', 'n3', 'n4', 'n5'].find((id) => id !== leader2 && id !== victim && c.isAlive(id))!;
    const observer = ['n1', 'n2', 'n3', 'n4', 'n5'].find((id) => id !== leader2 && id !== victim2 && id !== victim && c.isAlive(id))!;
    let killedAt = 0;
    const killed = new Promise<void>((resolve) => {
      onStep = (id, e) => {
        if (e.type !== 'step' || !e.result.ok || e.step.kind !== 'streamed' || killedAt) return;
        killedAt = performance.now();
        killedAtGlobal = killedAt;
        c.kill(id);
        transports.delete(id);
        void listen(id, ports.get(id)!).then((tr) => {
          wirePeers(tr, id);
          transports.set(id, tr);
          c.restart(id);
          resolve();
        });
      };
    });
    const r = await c.submit({ kind: 'leave', nodeId: victim2 }, observer);
    await killed;
    await waitFor(() => c.isAlive(observer) && c.state(observer).requests[r.id]?.status === 'done', 20_000, 'the resumed decommission');
    const failoverMs = performance.now() - killedAt;
    return { join: joinMs, decommission: decommissionMs, failover: failoverMs };
  } finally {
    await c.stop();
    for (const tr of transports.values()) tr.close();
  }
}

const trials: Trial[] = [];
for (let t = 0; t < TRIALS; t++) {
  const r = await trial(t);
  trials.push(r);
  console.error(`trial ${t + 1}: join ${r.join.toFixed(1)} ms, decommission ${r.decommission.toFixed(1)} ms, failover resume ${r.failover.toFixed(1)} ms`);
}
const round = (x: number): number => Math.round(x * 10) / 10;
const result = {
  bench: 'topology',
  join_ms: round(median(trials.map((t) => t.join))),
  decommission_ms: round(median(trials.map((t) => t.decommission))),
  failover_resume_ms: round(median(trials.map((t) => t.failover))),
  election_timeout_ms: ELECTION_TIMEOUT_MS,
  failover_resume_max_ms: round(Math.max(...trials.map((t) => t.failover))),
  trials: TRIALS,
  stream_delay_ms_excluded: STREAM_DELAY_MS,
  transport: 'tcp-127.0.0.1',
};
console.log(JSON.stringify(result));
process.exit(0);
