// computeResumeState over 100,000 step records (10,000 nodes x 10 tasks, 3 zones), one still running.
// Last line: {bench, cold_ms, warm_ms_median, cold_cpu_ms, records}. Target: well under 250 ms.
import { computeResumeState, type JobPlan, type StepRecord } from '../packages/core/src/index.js';

const NODES = 10_000;
const TASKS = 10;
const nodes = Array.from({ length: NODES }, (_, i) => ({ id: `node-${i}`, address: `10.0.${i >> 8}.${i & 255}`, dc: 'dc1', rack: `r${i % 3}`, zone: `z${i % 3}`, labels: {}, connection: {} }));
const backoff = { initialSeconds: 5, multiplier: 2, maxSeconds: 60 };
const plan: JobPlan = {
  formatVersion: 1,
  workflowName: 'bench',
  cluster: 'bench',
  inventory: { name: 'bench', nodes, connection: {} },
  targeting: {},
  variables: {},
  steps: [
    {
      kind: 'node-workflow',
      id: 's0',
      name: 'rolling',
      concurrencyUnit: 'zone',
      concurrencyLimit: 5,
      abortOnFirstFailure: true,
      tasks: Array.from({ length: TASKS }, () => ({ tag: 't', params: {}, retries: 0, retryBackoff: backoff })),
      batches: [0, 1, 2].map((z) => ({ id: `s0/b${z}`, unit: `z${z}`, nodes: nodes.filter((n) => n.zone === `z${z}`).map((n) => n.id) })),
    },
  ],
};
const steps: StepRecord[] = [];
for (const n of nodes) for (let t = 0; t < TASKS; t++) steps.push({ jobId: 'j', stepId: `s0/${n.id}/t${t}`, nodeId: n.id, state: 'succeeded', attempts: 1, startedAt: 1, finishedAt: 2 });
steps[steps.length - 1]!.state = 'running';

const c0 = process.cpuUsage();
const t0 = performance.now();
const first = computeResumeState(plan, steps);
const coldMs = performance.now() - t0;
const cpu = process.cpuUsage(c0);
if (first.completedSteps !== NODES * TASKS - 1 || first.interruptedStepIds.length !== 1) throw new Error('wrong resume state');
const warm: number[] = [];
for (let i = 0; i < 10; i++) {
  const t = performance.now();
  computeResumeState(plan, steps);
  warm.push(performance.now() - t);
}
warm.sort((a, b) => a - b);
console.log(JSON.stringify({ bench: 'resume-state', records: steps.length, cold_ms: Number(coldMs.toFixed(1)), cold_cpu_ms: Number(((cpu.user + cpu.system) / 1000).toFixed(1)), warm_ms_median: Number(warm[5]!.toFixed(1)), target_ms: 250 }));
