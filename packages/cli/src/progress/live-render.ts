import { formatDuration, type JobProgress, type NodeProgress } from './job-progress.js';
import type { Colors } from '../colors.js';

/** What the live view shows besides the progress model. */
export interface LiveRenderOptions {
  now: number;
  /** When the job was created (elapsed counts from here). */
  startedAt: number;
  /** `RUNNING`, `PAUSED`, ... */
  state: string;
  /** Terminal columns. @default 100 */
  width?: number;
  colors: Colors;
  /** A line under the header (e.g. `runner alive (host:pid)` in `status --watch`). */
  subtitle?: string;
}

function bar(done: number, total: number, width = 20): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** `holding 12/20s` (the held time counts on between polls while the condition holds). */
export function conditionText(n: NodeProgress, now: number): string {
  const c = n.condition!;
  if (c.passed) return `${c.condition} passed`;
  if (!c.ok) return `${c.condition} not yet: ${c.detail}`;
  const held = Math.min(c.successWindowSeconds, c.heldSeconds + Math.max(0, now - c.at) / 1000);
  return `${c.condition} holding ${Math.floor(held)}/${c.successWindowSeconds}s: ${c.detail}`;
}

/**
 * The live view's lines: header with state and elapsed time; overall nodes
 * and steps with the ETA and its basis; per batch (zone) its counts, and per
 * node in flight or failed the step `i/n` by name with its attempt, the
 * condition countdown and the node's last error; then the job's last error.
 */
export function renderLiveView(p: JobProgress, o: LiveRenderOptions): string[] {
  const { colors: c, now } = o;
  const width = Math.max(40, (o.width ?? 100) - 1);
  const cut = (s: string) => (s.length > width ? `${s.slice(0, width - 1)}…` : s);
  const sum = p.summary();
  const eta = p.eta(now);
  const lines: string[] = [];
  lines.push(c.bold(cut(`${p.plan.workflowName} on ${p.plan.cluster}  ${o.state}  elapsed ${formatDuration(now - o.startedAt)}`)));
  if (o.subtitle) lines.push(cut(o.subtitle));
  const etaText = eta.remainingMs === undefined ? `ETA: ${eta.basis}` : `ETA ${formatDuration(eta.remainingMs)} (${eta.basis})`;
  lines.push(cut(`overall ${bar(sum.stepsDone, sum.stepsTotal)} nodes ${sum.nodesDone}/${sum.nodesTotal}, steps ${sum.stepsDone}/${sum.stepsTotal}  ${etaText}`));
  const clusterSteps = p.steps().filter((s) => s.nodeId === undefined);
  for (const s of clusterSteps) {
    if (s.state === 'running' || s.state === 'failed') {
      const t = `  cluster step !${s.tag} ${s.state} (attempt ${s.attempts})`;
      lines.push(s.state === 'failed' ? c.red(cut(t)) : c.yellow(cut(t)));
    }
  }
  for (const b of p.batches()) {
    const failed = b.nodes.filter((n) => n.state === 'failed').length;
    const state = b.nodesDone === b.nodes.length ? c.green('done') : failed > 0 ? c.red(`${failed} failed`) : b.stepsDone > 0 || b.nodes.some((n) => n.state === 'running') ? 'running' : c.dim('waiting');
    lines.push(cut(`${b.title.padEnd(12)} ${bar(b.stepsDone, b.stepsTotal, 10)} nodes ${b.nodesDone}/${b.nodes.length}, steps ${b.stepsDone}/${b.stepsTotal}  `) + state);
    for (const n of b.nodes) {
      if (n.state !== 'running' && n.state !== 'failed') continue;
      const s = n.current;
      const total = n.steps.length;
      const since = n.startedAt !== undefined ? `  ${formatDuration(now - n.startedAt)}` : '';
      const head = s ? `  ${n.nodeId}  step ${s.index + 1}/${total} ${s.tag}  attempt ${Math.max(1, s.attempts)}${s.state === 'failed' ? '  FAILED' : ''}${since}` : `  ${n.nodeId}`;
      lines.push(n.state === 'failed' ? c.red(cut(head)) : c.yellow(cut(head)));
      if (n.condition) lines.push(cut(`      ${conditionText(n, now)}`));
      if (n.lastError && s && n.lastError.stepId === s.stepId) lines.push(c.red(cut(`      last error (attempt ${n.lastError.attempt}): ${n.lastError.error.message}`)));
    }
  }
  if (p.lastError) {
    const e = p.lastError;
    const at = new Date(e.at).toISOString().slice(11, 19);
    lines.push(c.red(cut(`last error ${at} ${e.nodeId ?? 'cluster'} !${e.tag} attempt ${e.attempt}: ${e.error.message}`)));
  }
  return lines;
}
