import { InvalidInputError, type ErrorDetail, type JobPlan, type StoredEvent } from '@scylla-cp/core';

/** What a step id names: its node (if any) and task tag. */
export interface StepInfo {
  nodeId?: string;
  tag: string;
  /** 0-based index of the task on its node. */
  index: number;
  /** The node workflow's task count (1 for cluster steps). */
  of: number;
}

/** Step id → node and task, for every step of a plan. */
export function stepIndex(plan: JobPlan): Map<string, StepInfo> {
  const m = new Map<string, StepInfo>();
  for (const step of plan.steps) {
    if (step.kind === 'cluster-task') m.set(step.id, { tag: step.task.tag, index: 0, of: 1 });
    else for (const b of step.batches) for (const n of b.nodes) step.tasks.forEach((t, i) => m.set(`${step.id}/${n}/t${i}`, { nodeId: n, tag: t.tag, index: i, of: step.tasks.length }));
  }
  return m;
}

const secs = (ms: unknown) => `${(Number(ms) / 1000).toFixed(1)}s`;

/** One stored event as a line for a person: time, what, where. */
export function formatStoredEvent(e: StoredEvent, steps: Map<string, StepInfo>): string {
  const at = new Date(typeof e.data.at === 'number' ? e.data.at : e.at).toISOString();
  const info = e.stepId ? steps.get(e.stepId) : undefined;
  const where = info ? `${info.nodeId ?? 'cluster'} step ${info.index + 1}/${info.of} !${info.tag}` : e.stepId ?? '';
  const d = e.data;
  const err = (d.error as ErrorDetail | undefined)?.message;
  let text: string;
  switch (e.type) {
    case 'step.started':
      text = `${where} started (attempt ${d.attempt})`;
      break;
    case 'step.attempt':
      text = `${where} attempt ${d.attempt} started`;
      break;
    case 'step.succeeded':
      text = `${where} succeeded (attempt ${d.attempt})`;
      break;
    case 'step.retry':
      text = `${where} attempt ${d.attempt} failed: ${err}; retry in ${secs(d.delayMs)}`;
      break;
    case 'condition.poll':
      text = `${where} condition ${d.condition}: ${d.passed ? 'passed' : d.ok ? `holding ${d.held}/${d.window}s` : 'not yet'}: ${d.detail}`;
      break;
    case 'step.failed':
      text = `${where} FAILED (attempt ${d.attempt}): ${err}`;
      break;
    default: {
      const rest = Object.entries(d)
        .filter(([k]) => k !== 'error')
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      text = `${e.type.replace(/^job\./, 'job ')}${where ? ` ${where}` : ''}${rest ? ` ${rest}` : ''}${err ? `: ${err}` : ''}`;
    }
  }
  return `${at}  ${text}`;
}

/**
 * Parses `--since`: a duration back from `now` (`90s`, `15m`, `2h`, `1d`) or
 * an ISO-8601 time. Returns ms since epoch.
 */
export function parseSince(value: string, now: number): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(value.trim());
  if (m) return now - Number(m[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(value);
  if (Number.isNaN(t)) {
    throw new InvalidInputError(`--since ${value}: expected a duration like 90s, 15m, 2h, 1d, or an ISO-8601 time like 2026-01-31T12:00:00Z`, {
      code: 'BAD_FLAG',
    });
  }
  return t;
}
