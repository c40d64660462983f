import { expect, it } from 'vitest';
import { runTopologySeed, type SeedReport, type SimOptions, type SimTargetFactory } from './topology-sim-harness.js';

/**
 * Registers one test that runs seeds `base .. base+count-1` (or only `SEED`
 * from the environment) and fails with the seeds that broke an invariant,
 * each with the command that reproduces it. With 500 seeds or more it also
 * requires the workload's coverage (the leader killed right after each main saga
 * step; done, failed and rejected outcomes) unless `stepCoverage` is false: a
 * shard of a larger suite need not cover every step on its own.
 */
export function defineSimSuite(name: string, file: string, base: number, count: number, options: SimOptions, factory?: SimTargetFactory, stepCoverage = true): void {
  const fixed = process.env.SEED === undefined ? undefined : Number(process.env.SEED);
  const first = fixed ?? base;
  const n = fixed === undefined ? count : 1;
  it(`${name}: every invariant holds for SEED=${first}..${first + n - 1}`, async () => {
    const reports: SeedReport[] = [];
    const failures: string[] = [];
    for (let seed = first; seed < first + n; seed++) {
      const r = await runTopologySeed(seed, options, factory);
      reports.push(r);
      if (r.violations.length > 0) {
        failures.push(`SEED=${seed}: ${r.violations.slice(0, 5).join('\n  ')}\n  reproduce: SEED=${seed} npx vitest run ${file}`);
      }
    }
    const totals: Record<string, number> = {};
    for (const r of reports) for (const [k, v] of Object.entries(r.outcomes)) totals[k] = (totals[k] ?? 0) + v;
    const steps = new Set(reports.flatMap((r) => r.killedAtSteps));
    console.log(
      `${name}: SEED=${first}..${first + n - 1} passed ${n - failures.length}/${n}; requests ${reports.reduce((a, r) => a + r.requests, 0)}, outcomes ${JSON.stringify(totals)}, rolled-back joins ${reports.reduce((a, r) => a + r.rolledBackJoins, 0)}; leader killed after steps: ${[...steps].sort().join(', ')}`,
    );
    expect(failures.slice(0, 5).join('\n')).toBe('');
    if (fixed === undefined) expect(totals.done ?? 0).toBeGreaterThan(0);
    if (fixed === undefined && options.globalAndAbort) {
      // the extra workload ran: cleanups completed, and some request was aborted
      expect(totals['cleanup:done'] ?? 0, 'no cleanup request completed').toBeGreaterThan(0);
      expect(totals.aborted ?? 0, 'no request was aborted').toBeGreaterThan(0);
    }
    if (fixed === undefined && n >= 500 && stepCoverage) {
      for (const step of ['start', 'accept_node', 'commit_cdc', 'fence', 'streamed', 'finish_write_both', 'finish_left', 'rollback']) {
        expect(steps, `leader never killed after step ${step}`).toContain(step);
      }
      expect(totals.done ?? 0).toBeGreaterThan(0);
      expect(totals.failed ?? 0).toBeGreaterThan(0);
      expect(totals.rejected ?? 0).toBeGreaterThan(0);
    }
  }, 3_600_000);
}
