import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as raft from '../src/index.js';
import {
  CommitStatusUnknownError,
  ConfChangeInProgressError,
  InvalidConfChangeError,
  NotLeaderError,
  ProposalDroppedError,
  RAFT_ERROR_CODES,
  RaftError,
  RaftTimeoutError,
  ReplicatedLogError,
  StaleStreamError,
  StaleTermError,
  StaleTopologyError,
  StoppedError,
  TopologyAbortError,
  TopologyError,
  TopologyRpcError,
  TopologyStoppedError,
  TopologyTimeoutError,
  type ReplicatedLogErrorCode,
} from '../src/index.js';

const src = fileURLToPath(new URL('../src/', import.meta.url));
const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') && !p.endsWith('raft-error-codes.ts') ? [p] : [];
  });

// Every reason of ReplicatedLogError (its code is `LOG_<REASON>`); the Record type makes the
// compiler refuse this list when a reason is added or removed.
const LOG_REASONS: Record<ReplicatedLogErrorCode, true> = { not_leader: true, dropped: true, status_unknown: true, stopped: true, timeout: true };

/** One instance of every error class the package exports, as the code constructs them. */
const samples: Record<string, () => Error[]> = {
  RaftError: () => [new RaftError('storage write failed')],
  NotLeaderError: () => [new NotLeaderError('n2'), new NotLeaderError(null)],
  ProposalDroppedError: () => [new ProposalDroppedError()],
  CommitStatusUnknownError: () => [new CommitStatusUnknownError()],
  StoppedError: () => [new StoppedError()],
  ConfChangeInProgressError: () => [new ConfChangeInProgressError()],
  InvalidConfChangeError: () => [new InvalidConfChangeError('n9 is not a member')],
  RaftTimeoutError: () => [new RaftTimeoutError('read barrier timed out')],
  TopologyError: () => ['SUBMIT_FAILED', 'UNKNOWN_REQUEST', 'STEP_FAILED'].map((code) => new TopologyError(`topology request r1: ${code}`, code)),
  TopologyAbortError: () => [new TopologyAbortError('r1', 'request_started', 'cannot abort r1: it started')],
  StaleStreamError: () => [new StaleStreamError('stale stream', { nodeId: 'n1', requestId: 'r1', session: 1, currentSession: 2 })],
  StaleTopologyError: () => [new StaleTopologyError(1, 2, 'n1')],
  StaleTermError: () => [new StaleTermError('stale', { term: 1 })],
  TopologyRpcError: () => [new TopologyRpcError('n1', 'unreachable')],
  ReplicatedLogError: () => (Object.keys(LOG_REASONS) as ReplicatedLogErrorCode[]).map((r) => new ReplicatedLogError(r, r)),
  TopologyTimeoutError: () => [new TopologyTimeoutError('timed out')],
  TopologyStoppedError: () => [new TopologyStoppedError('stopped')],
};

describe('RAFT_ERROR_CODES', () => {
  it('has one sample per error class the package exports (a new class needs its catalogue entry)', () => {
    const exported = Object.entries(raft)
      .filter(([, v]) => typeof v === 'function' && (v as { prototype?: unknown }).prototype instanceof Error)
      .map(([k]) => k)
      .sort();
    expect(exported, 'an error class without a sample here: give it a code in RAFT_ERROR_CODES (src/raft-error-codes.ts) and a sample in this test').toEqual(Object.keys(samples).sort());
  });

  it('every error carries a listed code, with the listed class and retry intent', () => {
    const seen = new Set<string>();
    for (const [cls, make] of Object.entries(samples)) {
      for (const e of make()) {
        const code = (e as RaftError | TopologyError).code;
        seen.add(code);
        const entry = (RAFT_ERROR_CODES as Record<string, { errorClass: string; retryable: boolean }>)[code];
        expect(entry, `${cls} throws code ${code}, which RAFT_ERROR_CODES does not list`).toBeDefined();
        expect(entry!.errorClass, code).toBe(cls);
        expect((e as RaftError | TopologyError).retryable, `${code}: retryable`).toBe(entry!.retryable);
        expect(e.name, code).toBe(cls);
      }
    }
    // and no entry is left over that no class throws
    expect(Object.keys(RAFT_ERROR_CODES).filter((c) => !seen.has(c))).toEqual([]);
  });

  it('lists every code literal the error classes are constructed with in src/', () => {
    const literals = (t: string): string[] => [...t.matchAll(/'([A-Z][A-Z0-9_]{2,})'/g)].map((m) => m[1]!);
    const written = new Set<string>();
    for (const file of sources(src)) {
      const lines = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => !l.trimStart().startsWith('*') && !l.trimStart().startsWith('//'));
      // the error classes' files: every upper-case literal is a code; elsewhere: a code passed
      // to an error constructor on the line that calls it
      const errorFile = /(^|\/)(errors|topology-errors)\.ts$/.test(file);
      for (const l of errorFile ? lines : lines.filter((x) => /new \w*Error\(/.test(x))) for (const c of literals(l)) written.add(c);
    }
    for (const r of Object.keys(LOG_REASONS)) written.add(`LOG_${r.toUpperCase()}`);
    expect(written.size).toBeGreaterThan(10);
    expect([...written].filter((c) => !(c in RAFT_ERROR_CODES)), 'codes thrown in src/ but missing from RAFT_ERROR_CODES (src/raft-error-codes.ts)').toEqual([]);
    expect(Object.keys(RAFT_ERROR_CODES).filter((c) => !written.has(c)), 'catalogue entries no code in src/ throws any more').toEqual([]);
  });
});
