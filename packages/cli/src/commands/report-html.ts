import type { JobRecord, StepRecord, StoredEvent } from '@scylla-cp/core';
import { formatDuration } from '../progress/job-progress.js';
import { stepIndex } from './job-events.js';

/** One attempt of a step on the timeline. */
interface AttemptSpan {
  attempt: number;
  start: number;
  end: number;
  outcome: 'succeeded' | 'retried' | 'failed' | 'open';
  error?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#bab0ac'];
const CONDITION_TAGS = /wait-for-conditions|wait-for|condition/;

/** Attempts per step from the event log (started/attempt → retry/failed/succeeded). */
function attemptSpans(events: readonly StoredEvent[], until: number): Map<string, AttemptSpan[]> {
  const spans = new Map<string, AttemptSpan[]>();
  for (const e of events) {
    if (!e.stepId) continue;
    const list = spans.get(e.stepId) ?? [];
    spans.set(e.stepId, list);
    const open = list.find((s) => s.outcome === 'open');
    const attempt = Number(e.data.attempt ?? 0);
    if (e.type === 'step.started' || e.type === 'step.attempt') {
      if (open) open.end = e.at; // a crash left it open; a new attempt begins
      list.push({ attempt, start: e.at, end: until, outcome: 'open' });
    } else if (open && (e.type === 'step.retry' || e.type === 'step.failed' || e.type === 'step.succeeded')) {
      open.end = e.at;
      open.outcome = e.type === 'step.retry' ? 'retried' : e.type === 'step.failed' ? 'failed' : 'succeeded';
      const err = (e.data.error as { message?: string } | undefined)?.message;
      if (err) open.error = err;
    }
  }
  return spans;
}

/**
 * The job report: one self-contained HTML file (inline CSS and SVG, no script,
 * no network) with a timeline per zone and node (each step attempt a bar;
 * retries and failures marked; condition waits shaded, with their polls when
 * the log has them; pauses and resumes as lines across), and a summary table.
 */
export function renderHtmlReport(job: JobRecord, steps: readonly StepRecord[], events: readonly StoredEvent[]): string {
  const info = stepIndex(job.plan);
  const last = Math.max(job.updatedAt, ...events.map((e) => e.at), ...steps.map((s) => s.finishedAt ?? 0));
  const first = Math.min(job.createdAt, ...events.map((e) => e.at));
  const span = Math.max(1, last - first);
  const spans = attemptSpans(events, last);
  const byId = new Map(steps.map((s) => [s.stepId, s]));
  const W = 900;
  const LABEL = 170;
  const x = (t: number) => LABEL + ((t - first) / span) * W;
  const markers = events.filter((e) => /^job\.(started|resumed|paused|cancelled|failed|succeeded)$/.test(e.type));
  const polls = events.filter((e) => e.type === 'condition.poll' && e.stepId);
  const tags = [...new Set([...info.values()].map((i) => i.tag))];
  const colorOf = (tag: string) => PALETTE[tags.indexOf(tag) % PALETTE.length]!;

  const sections: string[] = [];
  const rows: string[] = [];
  let totalAttempts = 0;
  for (const step of job.plan.steps) {
    const groups: { title: string; nodes: (string | undefined)[]; ids: (n: string | undefined) => string[] }[] =
      step.kind === 'cluster-task'
        ? [{ title: `cluster step ${step.id} !${step.task.tag}`, nodes: [undefined], ids: () => [step.id] }]
        : step.batches.map((b) => ({
            title: `${step.name}: ${step.concurrencyUnit} ${b.unit}`,
            nodes: b.nodes,
            ids: (n: string | undefined) => step.tasks.map((_, i) => `${step.id}/${n}/t${i}`),
          }));
    for (const g of groups) {
      const ROW = 26;
      const height = g.nodes.length * ROW + 24;
      const svg: string[] = [];
      svg.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${LABEL + W + 10}" height="${height}" role="img" aria-label="${esc(g.title)}">`);
      for (const m of markers) {
        const mx = x(m.at).toFixed(1);
        const cls = m.type.slice(4);
        svg.push(`<line class="marker ${cls}" x1="${mx}" x2="${mx}" y1="0" y2="${height - 18}"><title>${esc(`${cls} at ${iso(m.at)}`)}</title></line>`);
      }
      g.nodes.forEach((n, r) => {
        const y = r * ROW + 4;
        svg.push(`<text class="node" x="4" y="${y + 15}">${esc(n ?? step.id)}</text>`);
        for (const id of g.ids(n)) {
          const i = info.get(id)!;
          const rec = byId.get(id);
          const list = spans.get(id) ?? (rec?.startedAt !== undefined ? [{ attempt: rec.attempts, start: rec.startedAt, end: rec.finishedAt ?? last, outcome: rec.state === 'failed' ? 'failed' : rec.state === 'succeeded' ? 'succeeded' : 'open' } as AttemptSpan] : []);
          totalAttempts += list.length;
          for (const a of list) {
            const x0 = x(a.start);
            const w = Math.max(2, x(a.end) - x0);
            const wait = CONDITION_TAGS.test(i.tag);
            const title = `${n ?? 'cluster'} step ${i.index + 1}/${i.of} !${i.tag} attempt ${a.attempt}: ${a.outcome} (${formatDuration(a.end - a.start)}, ${iso(a.start)} → ${iso(a.end)})${a.error ? ` — ${a.error}` : ''}`;
            svg.push(
              `<rect class="bar ${a.outcome}${wait ? ' wait' : ''}" data-step="${esc(id)}" data-attempt="${a.attempt}" data-outcome="${a.outcome}" x="${x0.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="20" fill="${wait ? 'url(#hatch)' : colorOf(i.tag)}"><title>${esc(title)}</title></rect>`,
            );
            if (a.outcome === 'retried' || a.outcome === 'failed') {
              const ex = (x0 + w).toFixed(1);
              svg.push(`<text class="mark ${a.outcome}" x="${ex}" y="${y + 15}" text-anchor="middle">${a.outcome === 'failed' ? '✖' : '↻'}<title>${esc(title)}</title></text>`);
            }
          }
          for (const p of polls.filter((p) => p.stepId === id)) {
            const px = x(typeof p.data.at === 'number' ? p.data.at : p.at).toFixed(1);
            svg.push(`<circle class="poll ${p.data.ok ? 'ok' : 'notyet'}" cx="${px}" cy="${y + 10}" r="2.5"><title>${esc(`${String(p.data.condition ?? 'condition')} ${p.data.passed ? 'passed' : p.data.ok ? `holding ${String(p.data.held)}/${String(p.data.window)}s` : 'not yet'}: ${String(p.data.detail ?? '')}`)}</title></circle>`);
          }
        }
      });
      svg.push(`<text class="axis" x="${LABEL}" y="${height - 4}">${esc(iso(first))}</text>`);
      svg.push(`<text class="axis" x="${LABEL + W}" y="${height - 4}" text-anchor="end">${esc(iso(last))}</text>`);
      svg.push('<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#cfd8e3"/><line x1="0" y1="0" x2="0" y2="6" stroke="#8a9bb0" stroke-width="2"/></pattern></defs>');
      svg.push('</svg>');
      sections.push(`<section class="zone"><h2>${esc(g.title)}</h2>${svg.join('')}</section>`);

      for (const n of g.nodes) {
        const recs = g.ids(n).map((id) => byId.get(id));
        const done = recs.filter((r) => r?.state === 'succeeded' || r?.state === 'skipped').length;
        const attempts = recs.reduce((a, r) => a + (r?.attempts ?? 0), 0);
        const starts = recs.map((r) => r?.startedAt).filter((t): t is number => t !== undefined);
        const ends = recs.map((r) => r?.finishedAt).filter((t): t is number => t !== undefined);
        const failed = recs.find((r) => r?.state === 'failed');
        const result = failed ? 'failed' : done === recs.length ? 'done' : recs.some((r) => r?.state === 'running') ? 'running' : done > 0 ? 'partial' : 'not started';
        const dur = starts.length > 0 && ends.length > 0 ? formatDuration(Math.max(...ends) - Math.min(...starts)) : '';
        rows.push(
          `<tr class="${result.replace(' ', '-')}"><td>${esc(n ?? 'cluster')}</td><td>${esc(g.title)}</td><td>${done}/${recs.length}</td><td>${attempts}</td><td>${dur}</td><td>${result}</td><td>${esc(failed?.lastError?.message ?? '')}</td></tr>`,
        );
      }
    }
  }
  const legend = tags.map((t) => `<span class="key"><i style="background:${CONDITION_TAGS.test(t) ? '#cfd8e3' : colorOf(t)}"></i>!${esc(t)}</span>`).join('');
  const markerList = markers.map((m) => `<li>${esc(iso(m.at))} ${esc(m.type.replace('job.', ''))}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>scylla-cp job ${esc(job.id)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#1d2733}
h1{font-size:20px;margin:0 0 4px} h2{font-size:15px;margin:18px 0 4px}
.meta td{padding:1px 12px 1px 0} .state{font-weight:bold}
.state.succeeded{color:#2e7d32}.state.failed{color:#c62828}.state.paused,.state.running{color:#b26a00}
svg text.node{font:12px monospace} svg text.axis{font:11px monospace;fill:#667}
rect.bar.failed{stroke:#c62828;stroke-width:2} rect.bar.retried{opacity:.55;stroke:#c62828;stroke-dasharray:3 2}
rect.bar.open{opacity:.6}
text.mark{font:14px sans-serif;fill:#c62828}
line.marker{stroke-width:1.5;stroke-dasharray:4 3} line.marker.paused{stroke:#b26a00} line.marker.resumed,line.marker.started{stroke:#2e7d32}
line.marker.failed,line.marker.cancelled{stroke:#c62828} line.marker.succeeded{stroke:#2e7d32}
circle.poll.ok{fill:#2e7d32} circle.poll.notyet{fill:#b26a00}
.key{margin-right:14px;white-space:nowrap}.key i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
table.summary{border-collapse:collapse;margin-top:8px} table.summary td,table.summary th{border:1px solid #ccd;padding:3px 8px;text-align:left}
tr.failed td{background:#fdecea}
</style></head><body>
<h1>${esc(job.workflowName)}</h1>
<table class="meta">
<tr><td>job</td><td id="job-id">${esc(job.id)}</td></tr>
<tr><td>state</td><td class="state ${esc(job.state)}" id="job-state">${esc(job.state)}</td></tr>
<tr><td>cluster</td><td>${esc(job.cluster)}</td></tr>
<tr><td>operator</td><td>${esc(job.operator)}</td></tr>
<tr><td>created</td><td>${esc(iso(job.createdAt))}</td></tr>
<tr><td>last change</td><td>${esc(iso(job.updatedAt))} (${formatDuration(job.updatedAt - job.createdAt)} after creation)</td></tr>
${job.error ? `<tr><td>error</td><td>${esc(job.error.message)}</td></tr>` : ''}
</table>
<p class="legend">${legend}<span class="key">↻ retried attempt</span><span class="key">✖ failed</span><span class="key">● condition poll (green: holding, amber: not yet)</span><span class="key">┆ start / pause / resume / end</span></p>
${sections.join('\n')}
<h2>Runs</h2><ul class="runs">${markerList}</ul>
<h2>Summary</h2>
<table class="summary" id="summary"><thead><tr><th>node</th><th>group</th><th>steps done</th><th>attempts</th><th>duration</th><th>result</th><th>error</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
<p class="foot">${totalAttempts} attempt(s) and ${polls.length} condition poll(s) recorded (the first poll of each wait, each change of its result, and the pass). Generated by scylla-cp from the job store.</p>
</body></html>
`;
}
