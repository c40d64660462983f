import { describe, expect, it } from 'vitest';
import {
  TopologyStateMachine,
  checkAdmission,
  deriveTokens,
  type SagaStep,
  type TopologyCommandResult,
  type TopologyRequestSpec,
} from '../../src/index.js';

const founders = ['n1', 'n2', 'n3'].map((id, i) => ({ id, address: `10.0.0.${i + 1}`, dc: 'dc1', rack: `r${i + 1}` }));
const fresh = (id: string, rack = 'r1') => ({ id, address: `10.0.1.${id}`, dc: 'dc1', rack });

function sm(): TopologyStateMachine {
  return new TopologyStateMachine({ initialNodes: founders });
}

function submit(m: TopologyStateMachine, request: TopologyRequestSpec, dead: string[] = []): TopologyCommandResult {
  return m.apply({ type: 'submit', request, liveness: Object.fromEntries(dead.map((d) => [d, false])) });
}

function step(m: TopologyStateMachine, s: SagaStep, term = 1): TopologyCommandResult {
  return m.apply({ type: 'step', guard: { stateId: m.state.stateId, term }, step: s });
}

describe('TopologyStateMachine: initial state', () => {
  it('starts with normal founders, version and fenceVersion 1, unique tokens', () => {
    const s = sm().state;
    expect(s.version).toBe(1);
    expect(s.fenceVersion).toBe(1);
    expect(Object.values(s.nodes).map((n) => n.state)).toEqual(['normal', 'normal', 'normal']);
    const tokens = Object.values(s.nodes).flatMap((n) => n.tokens);
    expect(new Set(tokens).size).toBe(24);
  });

  it('derives the same tokens on every replica and avoids taken ones', () => {
    const a = deriveTokens('x', 4, new Set());
    expect(deriveTokens('x', 4, new Set())).toEqual(a);
    const b = deriveTokens('x', 4, new Set([a[0]!]));
    expect(b).not.toContain(a[0]);
    expect(b).toHaveLength(4);
  });
});

describe('admission', () => {
  it('queues a valid join and records the node as none', () => {
    const m = sm();
    const r = submit(m, { kind: 'join', node: fresh('n4') });
    expect(r.ok).toBe(true);
    expect(m.state.nodes.n4?.state).toBe('none');
    expect(m.state.queue).toHaveLength(1);
  });

  const cases: [string, (m: TopologyStateMachine) => TopologyCommandResult, string][] = [
    ['removing a live node', (m) => submit(m, { kind: 'remove', nodeId: 'n2' }), 'target_alive'],
    ['replacing a live node', (m) => submit(m, { kind: 'replace', node: fresh('n9', 'r2'), replacedId: 'n2' }), 'target_alive'],
    ['replacing across racks', (m) => submit(m, { kind: 'replace', node: fresh('n9', 'r3'), replacedId: 'n2' }, ['n2']), 'dc_rack_mismatch'],
    ['an unknown node', (m) => submit(m, { kind: 'leave', nodeId: 'n42' }), 'unknown_node'],
    ['a duplicate request', (m) => (submit(m, { kind: 'leave', nodeId: 'n1' }), submit(m, { kind: 'leave', nodeId: 'n1' })), 'duplicate_request'],
    ['a join of an existing node', (m) => submit(m, { kind: 'join', node: fresh('n1') }), 'duplicate_node'],
    [
      'remove then replace of the same node',
      (m) => (submit(m, { kind: 'remove', nodeId: 'n2' }, ['n2']), submit(m, { kind: 'replace', node: fresh('n9', 'r2'), replacedId: 'n2' }, ['n2'])),
      'conflicting_request',
    ],
    ['removing while another node is down', (m) => submit(m, { kind: 'remove', nodeId: 'n2' }, ['n2', 'n3']), 'nodes_down'],
    ['an invalid join', (m) => submit(m, { kind: 'join', node: { id: 'n5', address: '', dc: 'dc1', rack: 'r1' } }), 'invalid_request'],
  ];
  for (const [name, run, code] of cases) {
    it(`rejects ${name} with ${code}`, () => {
      const m = sm();
      const r = run(m);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.rejection).toBe(code);
      expect(r.request?.status).toBe('rejected');
      expect(r.reason.length).toBeGreaterThan(20);
    });
  }

  it('rejects decommissioning the last normal node and a non-normal node', () => {
    const m = new TopologyStateMachine({ initialNodes: [founders[0]!] });
    const r = submit(m, { kind: 'leave', nodeId: 'n1' });
    expect(r.ok ? undefined : r.rejection).toBe('last_node');
    const m2 = sm();
    submit(m2, { kind: 'leave', nodeId: 'n1' });
    const id = m2.state.queue[0]!;
    step(m2, { kind: 'start', requestId: id });
    expect(m2.state.nodes.n1?.state).toBe('decommissioning');
    const r2 = submit(m2, { kind: 'rebuild', nodeId: 'n1' });
    expect(r2.ok ? undefined : r2.rejection).toBe('conflicting_request');
  });

  it('rejects a second removal while one is queued', () => {
    const m = sm();
    expect(submit(m, { kind: 'remove', nodeId: 'n2' }, ['n2', 'n3']).ok).toBe(false);
    const m2 = new TopologyStateMachine({ initialNodes: [...founders, fresh('n4')] });
    expect(submit(m2, { kind: 'remove', nodeId: 'n2' }, ['n2']).ok).toBe(true);
    const r = submit(m2, { kind: 'remove', nodeId: 'n3' }, ['n2', 'n3']);
    expect(r.ok ? undefined : r.rejection).toBe('concurrent_removal');
  });

  it('is a pure function of state and command', () => {
    const m = sm();
    const cmd = { type: 'submit' as const, request: { kind: 'leave' as const, nodeId: 'n1' } };
    expect(checkAdmission(m.state, cmd)).toBeNull();
    expect(checkAdmission(m.state, cmd)).toBeNull();
  });

  it('returns the existing request for a resubmitted request id', () => {
    const m = sm();
    const a = m.apply({ type: 'submit', request: { kind: 'leave', nodeId: 'n1' }, requestId: 'r1' });
    const b = m.apply({ type: 'submit', request: { kind: 'leave', nodeId: 'n1' }, requestId: 'r1' });
    expect(a.ok && b.ok && b.existing).toBe(true);
    expect(m.state.queue).toEqual(['r1']);
  });

  it('cancels a pending request on a node that gets replaced', () => {
    const m = sm();
    submit(m, { kind: 'rebuild', nodeId: 'n2' });
    const rebuildId = m.state.queue[0]!;
    expect(submit(m, { kind: 'replace', node: fresh('n9', 'r2'), replacedId: 'n2' }, ['n2']).ok).toBe(true);
    expect(m.state.requests[rebuildId]?.status).toBe('rejected');
    expect(m.state.requests[rebuildId]?.code).toBe('replaced');
  });
});

describe('saga steps', () => {
  function joinToEnd(m: TopologyStateMachine, id: string): string {
    submit(m, { kind: 'join', node: fresh(id) });
    const rid = m.state.queue[m.state.queue.length - 1]!;
    for (const s of ['start', 'accept_node', 'commit_cdc'] as const) expect(step(m, { kind: s, requestId: rid }).ok).toBe(true);
    expect(step(m, { kind: 'fence', requestId: rid, version: m.state.version }).ok).toBe(true);
    expect(step(m, { kind: 'streamed', requestId: rid }).ok).toBe(true);
    expect(step(m, { kind: 'fence', requestId: rid, version: m.state.version }).ok).toBe(true);
    expect(step(m, { kind: 'finish_write_both', requestId: rid }).ok).toBe(true);
    return rid;
  }

  it('runs a bootstrap through the reference sequence', () => {
    const m = sm();
    const seen: (string | null)[] = [];
    m.onApply((_c, _r, s) => seen.push(s.tstate));
    const rid = joinToEnd(m, 'n4');
    expect(seen).toEqual([null, 'join_group0', 'commit_cdc_generation', 'write_both_read_old', 'write_both_read_old', 'write_both_read_new', 'write_both_read_new', null]);
    expect(m.state.nodes.n4?.state).toBe('normal');
    expect(m.state.nodes.n4?.tokens).toHaveLength(8);
    expect(m.state.requests[rid]?.status).toBe('done');
    expect(m.state.version).toBe(4);
    expect(m.state.fenceVersion).toBe(3);
    expect(m.state.nodes.n1?.cleanup).toBe('needed');
  });

  it('rejects a step decided on an older state (optimistic concurrency)', () => {
    const m = sm();
    submit(m, { kind: 'leave', nodeId: 'n1' });
    const rid = m.state.queue[0]!;
    const guard = { stateId: m.state.stateId, term: 1 };
    submit(m, { kind: 'rebuild', nodeId: 'n2' });
    const r = m.apply({ type: 'step', guard, step: { kind: 'start', requestId: rid } });
    expect(r.ok ? undefined : r.code).toBe('concurrent_modification');
    expect(m.state.nodes.n1?.state).toBe('normal');
  });

  it('rejects every step of a fenced coordinator term', () => {
    const m = sm();
    submit(m, { kind: 'leave', nodeId: 'n1' });
    const rid = m.state.queue[0]!;
    expect(m.apply({ type: 'fence_coordinator', term: 5 }).ok).toBe(true);
    const r = step(m, { kind: 'start', requestId: rid }, 4);
    expect(r.ok ? undefined : r.code).toBe('stale_term');
    expect(m.apply({ type: 'fence_coordinator', term: 4 }).ok).toBe(false);
    expect(step(m, { kind: 'start', requestId: rid }, 5).ok).toBe(true);
  });

  it('rejects a step from the wrong transition state and never applies it twice', () => {
    const m = sm();
    submit(m, { kind: 'leave', nodeId: 'n1' });
    const rid = m.state.queue[0]!;
    expect(step(m, { kind: 'start', requestId: rid }).ok).toBe(true);
    expect(step(m, { kind: 'start', requestId: rid }).ok).toBe(false);
    expect(step(m, { kind: 'finish_write_both', requestId: rid }).ok).toBe(false);
    expect(step(m, { kind: 'streamed', requestId: rid }).ok).toBe(true);
    expect(step(m, { kind: 'streamed', requestId: rid }).ok).toBe(false);
  });

  it('rolls a failed decommission back to normal and a failed join to left', () => {
    const m = sm();
    submit(m, { kind: 'leave', nodeId: 'n1' });
    const rid = m.state.queue[0]!;
    step(m, { kind: 'start', requestId: rid });
    expect(step(m, { kind: 'rollback', requestId: rid, reason: 'streaming failed' }).ok).toBe(true);
    expect(m.state.tstate).toBe('rollback_to_normal');
    step(m, { kind: 'fence', requestId: rid, version: m.state.version });
    expect(step(m, { kind: 'finish_rollback', requestId: rid }).ok).toBe(true);
    expect(m.state.nodes.n1?.state).toBe('normal');
    expect(m.state.requests[rid]).toMatchObject({ status: 'failed', reason: 'Rolled back: streaming failed' });

    submit(m, { kind: 'join', node: fresh('n4') });
    const jid = m.state.queue[0]!;
    for (const s of ['start', 'accept_node', 'commit_cdc'] as const) step(m, { kind: s, requestId: jid });
    expect(m.state.nodes.n4?.tokens.length).toBe(8);
    expect(step(m, { kind: 'rollback', requestId: jid, reason: 'node n4 died' }).ok).toBe(true);
    expect(m.state.tstate).toBe('left_token_ring');
    expect(m.state.nodes.n4?.tokens).toEqual([]);
    expect(step(m, { kind: 'finish_left', requestId: jid }).ok).toBe(true);
    expect(m.state.nodes.n4?.state).toBe('left');
    expect(m.state.requests[jid]).toMatchObject({ status: 'failed', reason: 'Rolled back: node n4 died' });
    // A left node never returns.
    const again = submit(m, { kind: 'join', node: fresh('n4') });
    expect(again.ok ? undefined : again.rejection).toBe('node_left');
  });

  it('refuses a fence above the version or below the fence version', () => {
    const m = sm();
    submit(m, { kind: 'leave', nodeId: 'n1' });
    const rid = m.state.queue[0]!;
    step(m, { kind: 'start', requestId: rid });
    expect(step(m, { kind: 'fence', requestId: rid, version: m.state.version + 1 }).ok).toBe(false);
    expect(step(m, { kind: 'fence', requestId: rid, version: 0 }).ok).toBe(false);
    const same = step(m, { kind: 'fence', requestId: rid, version: 1 });
    expect(same.ok && !same.changed).toBe(true);
  });
});

describe('snapshot and restore', () => {
  it('restores an identical state on another replica', () => {
    const a = sm();
    submit(a, { kind: 'join', node: fresh('n4') });
    submit(a, { kind: 'remove', nodeId: 'n2' }, ['n2']);
    const b = new TopologyStateMachine();
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    expect(b.state).toEqual(a.state);
    const cmd = { type: 'submit' as const, request: { kind: 'leave' as const, nodeId: 'n3' } };
    expect(b.apply(cmd)).toEqual(a.apply(cmd));
    expect(b.state).toEqual(a.state);
  });

  it('rejects a snapshot that is not a topology', () => {
    expect(() => new TopologyStateMachine().restore({} as never)).toThrow(/not a topology snapshot/);
  });
});
