// `scylla-cp report <job> --html FILE`, opened in a real headless Chromium
// (issue 13): what is rendered, and that the file needs no network.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CliProcess, REPO, RETRYING_DRAIN_RESTART, runCli, startSim, tempHome } from './cli-harness.js';
import { launchChromium } from './chromium.js';

let home: ReturnType<typeof tempHome>;
let sim: Awaited<ReturnType<typeof startSim>>;
let inventory: string;
let workflowFile: string;
let chromium: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  assertBuilt();
  home = tempHome();
  workflowFile = path.join(home.dir, 'retrying.yaml');
  fs.writeFileSync(workflowFile, RETRYING_DRAIN_RESTART);
  sim = await startSim('cli-report');
  inventory = await sim.inventoryFile(home.dir);
  chromium = await launchChromium();
});
afterAll(async () => {
  await chromium?.close();
  await sim?.stop();
  home?.cleanup();
});

/** Opens `file` and records every request other than the file itself. */
async function open(file: string) {
  const page = await chromium.browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  const url = pathToFileURL(file).href;
  const outside: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    if (req.url() !== url) outside.push(req.url());
    void (req.url() === url ? req.continue() : req.abort());
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, outside };
}

describe('report --html', () => {
  it('a job with a retry, a pause and a resume: a timeline per zone with bars per attempt, marks and a summary table', async () => {
    const victim = sim.cluster.nodes[0]!.id;
    const fault = sim.cluster.faults.inject({ kind: 'api-errors', node: victim, status: 500, count: 1, pathPrefix: '/storage_service/drain', method: 'POST' });
    let id: string;
    try {
      const run = new CliProcess(['run', workflowFile, '-i', inventory, '--yes', '--json'], home.env, REPO);
      await run.waitFor((ev) => ev.some((e) => e.event === 'step' && e.state === 'succeeded' && e.stepId.endsWith('/t2')));
      run.child.kill('SIGINT');
      expect((await run.exited).code).toBe(3);
      id = run.events().find((e) => e.event === 'job')!.jobId as string;
    } finally {
      sim.cluster.faults.clear(fault);
    }
    const resumed = await runCli(['resume', id, '--json'], home.env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const file = path.join(home.dir, 'report.html');
    const r = await runCli(['report', id, '--html', file], home.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(file);

    const { page, outside } = await open(file);
    expect(outside).toEqual([]); // self-contained: nothing fetched
    expect(await page.$eval('h1', (e) => e.textContent)).toBe('Fast drain and restart (test)');
    expect(await page.$eval('#job-state', (e) => e.textContent)).toBe('succeeded');
    const zones = await page.$$eval('section.zone h2', (es) => es.map((e) => e.textContent));
    expect(zones).toEqual(['Drain and restart each node: zone rack1', 'Drain and restart each node: zone rack2', 'Drain and restart each node: zone rack3']);
    // one bar per attempt, each drawn with a width
    const bars = await page.$$eval('rect.bar', (es) => es.map((e) => ({ outcome: e.getAttribute('data-outcome'), step: e.getAttribute('data-step'), w: e.getBoundingClientRect().width, title: e.querySelector('title')?.textContent ?? '' })));
    expect(bars.filter((b) => b.outcome === 'succeeded')).toHaveLength(24);
    expect(bars.every((b) => b.w >= 1)).toBe(true);
    const retried = bars.filter((b) => b.outcome === 'retried');
    expect(retried).toHaveLength(1);
    expect(retried[0]!.step).toBe(`s0/${victim}/t0`);
    expect(retried[0]!.title).toMatch(/!scylla-drain attempt 1: retried .*500/);
    expect(await page.$$eval('text.mark.retried', (es) => es.length)).toBe(1);
    // condition waits are shaded
    expect(await page.$$eval('rect.bar.wait', (es) => es.map((e) => e.getAttribute('fill')))).toEqual(Array(6).fill('url(#hatch)'));
    // with their polls: the first of each wait, each change, and the pass (recorded with the engine's transitions)
    const polls = await page.$$eval('circle.poll', (es) => es.map((e) => e.querySelector('title')?.textContent ?? ''));
    expect(polls.length).toBeGreaterThanOrEqual(12);
    expect(polls.filter((t) => /^compactions-nominal passed: /.test(t)).length).toBeGreaterThanOrEqual(6);
    // the pause and the resume are marked across every zone
    expect(await page.$$eval('line.marker.paused', (es) => es.length)).toBe(3);
    expect(await page.$$eval('line.marker.resumed', (es) => es.length)).toBe(3);
    expect(await page.$$eval('ul.runs li', (es) => es.map((e) => e.textContent!.replace(/^\S+ /, '')))).toEqual(['started', 'paused', 'resumed', 'succeeded']);
    // the summary: one row per node, all done, the retried node with 5 attempts
    const rows = await page.$$eval('#summary tbody tr', (es) => es.map((e) => [...e.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows).toHaveLength(6);
    expect(rows.every((r) => r[2] === '4/4' && r[5] === 'done')).toBe(true);
    expect(rows.find((r) => r[0] === victim)![3]).toBe('5');
    await page.screenshot({ path: path.join(home.dir, 'report.png'), fullPage: true });
    expect(fs.statSync(path.join(home.dir, 'report.png')).size).toBeGreaterThan(10_000);
    await page.close();
  }, 180_000);

  it('a failed job: the failed attempt is marked and the summary says why', async () => {
    const victim = sim.cluster.nodes[0]!.id;
    const fault = sim.cluster.faults.inject({ kind: 'never-return', node: victim });
    try {
      const r = await runCli(['run', workflowFile, '-i', inventory, '--yes', '--var', 'settle_timeout_seconds=2'], home.env);
      expect(r.code).toBe(1);
      const id = /job (job-\S+) started/.exec(r.stdout)![1]!;
      const file = path.join(home.dir, 'failed.html');
      expect((await runCli(['report', id, '--html', file], home.env)).code).toBe(0);
      const { page, outside } = await open(file);
      expect(outside).toEqual([]);
      expect(await page.$eval('#job-state', (e) => e.textContent)).toBe('failed');
      const failed = await page.$$eval('rect.bar[data-outcome="failed"]', (es) => es.map((e) => e.getAttribute('data-step')));
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatch(new RegExp(`^s0/${victim}/t[23]$`));
      expect(await page.$$eval('text.mark.failed', (es) => es.length)).toBe(1);
      const row = await page.$$eval('#summary tbody tr.failed td', (es) => es.map((e) => e.textContent));
      expect(row[0]).toBe(victim);
      expect(row[6]).not.toBe('');
      await page.close();
      await runCli(['cancel', id], home.env);
    } finally {
      sim.cluster.faults.clear(fault);
      sim.cluster.powerOn(victim);
      await sim.cluster.systemctlStart(victim);
    }
  }, 120_000);
});
