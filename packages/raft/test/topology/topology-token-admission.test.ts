import { describe, expect, it } from 'vitest';
import { TopologyStateMachine, type SagaStep, type TopologyCommandResult, type TopologyRequestSpec } from '../../src/index.js';

const founders = ['n1', 'n2', 'n3'].map((id, i) => ({ id, address: `10.0.0.${i + 1}`, dc: 'dc1', rack: `r${i + 1}` }));
const fresh = (id: string) => ({ id, address: `10.0.1.${id}`, dc: 'dc1', rack: 'r1' });

const submit = (m: TopologyStateMachine, request: TopologyRequestSpec): TopologyCommandResult => m.apply({ type: 'submit', request, liveness: {} });
const step = (m: TopologyStateMachine, s: SagaStep): TopologyCommandResult => m.apply({ type: 'step', guard: { stateId: m.state.stateId, term: 1 }, step: s });

describe('admission: tokens of queued and running joins', () => {
  it('rejects a join asking for a token that a queued join asked for (both used to end up owning it)', () => {
    const m = new TopologyStateMachine({ initialNodes: founders });
    expect(submit(m, { kind: 'join', node: fresh('n4'), tokens: [7, 8] }).ok).toBe(true);
    const r = submit(m, { kind: 'join', node: fresh('n5'), tokens: [8, 9] });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.rejection).toBe('invalid_request');
    expect(!r.ok && r.reason).toMatch(/8.*(queued|running) join/);
  });

  it('rejects a join whose token is asked for by a running join', () => {
    const m = new TopologyStateMachine({ initialNodes: founders });
    submit(m, { kind: 'join', node: fresh('n4'), tokens: [7] });
    const rid = m.state.queue[0] as string;
    expect(step(m, { kind: 'start', requestId: rid }).ok).toBe(true);
    const r = submit(m, { kind: 'join', node: fresh('n5'), tokens: [7] });
    expect(r.ok).toBe(false);
  });

  it('rejects duplicate tokens in one request', () => {
    const m = new TopologyStateMachine({ initialNodes: founders });
    const r = submit(m, { kind: 'join', node: fresh('n4'), tokens: [5, 6, 5] });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/5.*more than once/);
  });

  it('a join with derived tokens does not take the tokens a queued join asked for', () => {
    const m = new TopologyStateMachine({ initialNodes: founders });
    // n6's derived tokens, as it would get them now
    const probe = new TopologyStateMachine({ initialNodes: founders });
    submit(probe, { kind: 'join', node: fresh('n6') });
    const pr = probe.state.queue[0] as string;
    step(probe, { kind: 'start', requestId: pr });
    step(probe, { kind: 'accept_node', requestId: pr });
    const derived = probe.state.nodes['n6']?.tokens ?? [];
    expect(derived.length).toBeGreaterThan(0);
    // now queue n6 (derived) first, then n7 explicitly asking for n6's would-be tokens
    submit(m, { kind: 'join', node: fresh('n6') });
    expect(submit(m, { kind: 'join', node: fresh('n7'), tokens: [...derived] }).ok).toBe(true);
    const [r6] = m.state.queue as string[];
    step(m, { kind: 'start', requestId: r6 as string });
    step(m, { kind: 'accept_node', requestId: r6 as string });
    const got = m.state.nodes['n6']?.tokens ?? [];
    expect(got.filter((t) => derived.includes(t))).toEqual([]);
  });
});
