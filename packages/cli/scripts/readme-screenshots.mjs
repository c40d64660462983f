#!/usr/bin/env node
// Makes the CLI README's pictures from the built CLI:
//   docs/live-view.png: the live view of `scylla-cp demo` in a real terminal (tmux),
//                       captured mid-run and rendered by Chromium (docs/live-view.txt: the text);
//   docs/report.png:    `scylla-cp report <demo job> --html`, rendered by Chromium.
// Run: npm run build -w @scylla-cp/cli && node packages/cli/scripts/readme-screenshots.mjs
// Needs tmux and Debian's chromium (/usr/bin/chromium, or CHROMIUM_PATH).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '../bin/scylla-cp.js');
const docs = path.join(here, '../docs');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'scylla-cp-shots-'));
const socket = `scylla-cp-shots-${process.pid}`;
const tmux = (...a) => execFileSync('tmux', ['-L', socket, ...a], { encoding: 'utf8' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
fs.mkdirSync(docs, { recursive: true });

// 1. the live view, mid-run
tmux('new-session', '-d', '-s', 'demo', '-x', '132', '-y', '24', 'bash', '-c', `unset CI NO_COLOR; export SCYLLA_CP_HOME='${home}'; node '${bin}' demo --speed 3; sleep 600`);
let screen = '';
for (let i = 0; i < 600; i++) {
  await sleep(100);
  screen = tmux('capture-pane', '-p', '-t', 'demo');
  if (/nodes [2-3]\/6/.test(screen) && /holding [1-9]\d*\/20s/.test(screen)) break;
}
const ansi = tmux('capture-pane', '-p', '-e', '-t', 'demo');
fs.writeFileSync(path.join(docs, 'live-view.txt'), screen.replace(/\s+$/gm, '').trimEnd() + '\n');
for (let i = 0; i < 1200 && !/list jobs:/.test(tmux('capture-pane', '-p', '-t', 'demo')); i++) await sleep(250);
tmux('kill-server');

// ANSI (SGR colors and bold) → HTML spans
const COLORS = { 31: '#e06c75', 32: '#98c379', 33: '#e5c07b' };
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
let html = '';
let open = false;
for (const part of ansi.split(/(\u001b\[[0-9;]*m)/)) {
  const m = /^\u001b\[([0-9;]*)m$/.exec(part);
  if (!m) {
    html += esc(part);
    continue;
  }
  if (open) html += '</span>';
  open = false;
  const codes = m[1].split(';').map(Number);
  const style = codes.map((c) => (c === 1 ? 'font-weight:bold' : c === 2 ? 'opacity:.6' : COLORS[c] ? `color:${COLORS[c]}` : '')).filter(Boolean).join(';');
  if (style) {
    html += `<span style="${style}">`;
    open = true;
  }
}
const termFile = path.join(home, 'term.html');
fs.writeFileSync(termFile, `<!doctype html><meta charset="utf-8"><body style="margin:0;background:#1e2127"><pre style="margin:0;padding:14px;color:#d7dae0;font:13px/1.35 'DejaVu Sans Mono',monospace">${html}</pre>`);

// 2. the report of the demo job
const jobs = JSON.parse(execFileSync('node', [bin, 'jobs', '-o', 'json'], { env: { ...process.env, SCYLLA_CP_HOME: home }, encoding: 'utf8' }));
const reportFile = path.join(home, 'report.html');
execFileSync('node', [bin, 'report', jobs[0].id, '--html', reportFile], { env: { ...process.env, SCYLLA_CP_HOME: home } });

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'scylla-cp-chromium-'));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`],
});
const page = await browser.newPage();
await page.setViewport({ width: 1180, height: 400, deviceScaleFactor: 1 });
await page.goto(pathToFileURL(termFile).href);
const pre = await page.$('pre');
await pre.screenshot({ path: path.join(docs, 'live-view.png') });
await page.setViewport({ width: 1120, height: 900, deviceScaleFactor: 1 });
await page.goto(pathToFileURL(reportFile).href);
await page.screenshot({ path: path.join(docs, 'report.png'), fullPage: true });
await browser.close();
fs.rmSync(profile, { recursive: true, force: true });
fs.rmSync(home, { recursive: true, force: true });
console.log(`wrote ${path.join(docs, 'live-view.png')}, live-view.txt and report.png`);
