import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SystemClock,
  UnrecoverableError,
  WebhookNotifier,
  redactUrl,
  type JobEvent,
  type NodeExecutionContext,
  type NotificationEvent,
} from '@scylla-cp/core';
import { harness, inventory, planOf, spec } from './engine-fixtures.js';

interface Received {
  path: string;
  body: Record<string, unknown>;
  atMs: number;
}

/** An HTTP receiver on 127.0.0.1; `respond` decides each reply (default 204). */
async function receiver(respond: (n: number, req: IncomingMessage, res: ServerResponse) => void = (_n, _q, res) => res.writeHead(204).end()) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(data || '{}') as Record<string, unknown>, atMs: performance.now() });
      respond(received.length, req, res);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  servers.push(server);
  return { received, base: `http://127.0.0.1:${port}` };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

const SECRET = 'T0KEN-very-secret-abc123';

const failedEvent: JobEvent = {
  jobId: 'job-1',
  at: Date.UTC(2026, 0, 1),
  state: 'failed',
  cluster: 'prod-eu',
  operator: 'alice',
  workflowName: 'drain-restart',
  error: { name: 'JobFailedError', message: '1 node(s) failed: n3', classification: 'unrecoverable' },
  failedNodes: ['n3'],
};

describe('redactUrl', () => {
  it('keeps scheme and host only', () => {
    expect(redactUrl(`https://discord.com/api/webhooks/123/${SECRET}?wait=true`)).toBe('https://discord.com/…');
    expect(redactUrl(`https://user:pw@hooks.slack.com/services/${SECRET}`)).toBe('https://hooks.slack.com/…');
    expect(redactUrl(`not a url ${SECRET}`)).toBe('<invalid url>');
  });
});

describe('WebhookNotifier', () => {
  it('Discord: tags the operator and allows only that mention; Slack and generic JSON formats', async () => {
    const r = await receiver();
    const n = new WebhookNotifier({
      targets: [
        { kind: 'discord', url: `${r.base}/discord/${SECRET}`, mentionUserId: '80351110224678912' },
        { kind: 'slack', url: `${r.base}/slack/${SECRET}` },
        { kind: 'webhook', url: `${r.base}/generic/${SECRET}` },
      ],
    });
    await n.notify(failedEvent);
    const byPath = Object.fromEntries(r.received.map((x) => [x.path.split('/')[1], x.body]));
    expect(byPath.discord).toEqual({
      content: expect.stringMatching(/^<@80351110224678912> scylla-cp: job job-1 .*FAILED: 1 node\(s\) failed: n3/s),
      allowed_mentions: { parse: [], users: ['80351110224678912'] },
    });
    expect(byPath.slack!.text).toContain('job job-1');
    expect(byPath.slack!.text).toContain('failed nodes (1): n3');
    expect(byPath.generic).toMatchObject({ event: 'job.failed', jobId: 'job-1', cluster: 'prod-eu', operator: 'alice', failedNodes: ['n3'], at: '2026-01-01T00:00:00.000Z' });
  });

  it('refuses a mention that is not a numeric user id (no @everyone injection)', () => {
    expect(() => new WebhookNotifier({ targets: [{ kind: 'discord', url: 'https://discord.com/x', mentionUserId: 'everyone' }] })).toThrow(/numeric/);
  });

  it('honours a 429 retry_after (Discord JSON body) then succeeds', async () => {
    const r = await receiver((n, _req, res) => {
      if (n === 1) res.writeHead(429, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'You are being rate limited.', retry_after: 0.3, global: false }));
      else res.writeHead(204).end();
    });
    const events: NotificationEvent[] = [];
    const n = new WebhookNotifier({ targets: [{ kind: 'discord', url: `${r.base}/api/webhooks/1/${SECRET}` }], initialDelayMs: 5 });
    const { EventEmitter } = await import('eventemitter3');
    const em = new EventEmitter<{ job: (e: JobEvent) => void; notification: (e: NotificationEvent) => void }>();
    n.attach(em as never);
    em.on('notification', (e) => events.push(e));
    em.emit('job', failedEvent);
    await n.flush();
    expect(r.received).toHaveLength(2);
    expect(r.received[1]!.atMs - r.received[0]!.atMs).toBeGreaterThanOrEqual(290);
    expect(events.map((e) => [e.status, e.attempt, e.httpStatus, e.delayMs])).toEqual([
      ['retrying', 1, 429, 300],
      ['sent', 2, undefined, undefined],
    ]);
    expect(JSON.stringify(events)).not.toContain(SECRET);
    expect(events[0]!.target).toBe('http://127.0.0.1:' + r.base.split(':')[2] + '/…');
  });

  it('honours a Retry-After header and retries 5xx with backoff; gives up on other 4xx', async () => {
    const r = await receiver((n, _req, res) => {
      if (n === 1) res.writeHead(429, { 'retry-after': '0.2' }).end('slow down');
      else if (n === 2) res.writeHead(503).end();
      else res.writeHead(200).end('ok');
    });
    const clock = new SystemClock();
    const n = new WebhookNotifier({ targets: [{ kind: 'slack', url: `${r.base}/s/${SECRET}` }], initialDelayMs: 50, clock });
    await n.notify(failedEvent);
    expect(r.received).toHaveLength(3);
    expect(r.received[1]!.atMs - r.received[0]!.atMs).toBeGreaterThanOrEqual(190);
    expect(r.received[2]!.atMs - r.received[1]!.atMs).toBeGreaterThanOrEqual(95); // 2nd retry: 50 * 2

    const bad = await receiver((_n, _req, res) => res.writeHead(404).end());
    const m = new WebhookNotifier({ targets: [{ kind: 'slack', url: `${bad.base}/gone/${SECRET}` }], initialDelayMs: 1 });
    await m.notify(failedEvent);
    expect(bad.received).toHaveLength(1);
  });

  it('fires when a job halts on an unrecoverable error; a dead webhook never blocks or fails the job; the URL stays secret', async () => {
    const r = await receiver();
    const deadPort = await (async () => {
      const s = createServer();
      await new Promise<void>((res) => s.listen(0, '127.0.0.1', () => res()));
      const port = (s.address() as AddressInfo).port;
      await new Promise<void>((res) => s.close(() => res()));
      return port;
    })();
    const h = harness({
      w: async (ctx) => {
        if ((ctx as NodeExecutionContext).node.id === 'z0-n1') throw new UnrecoverableError('scylla did not come back');
      },
    });
    const logs: string[] = [];
    const notifier = new WebhookNotifier({
      targets: [
        { kind: 'discord', url: `${r.base}/api/webhooks/9/${SECRET}`, mentionUserId: '42' },
        { kind: 'webhook', url: `http://127.0.0.1:${deadPort}/hook/${SECRET}` },
      ],
      maxAttempts: 3,
      initialDelayMs: 20,
      logger: { debug: () => {}, info: () => {}, warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    });
    notifier.attach(h.engine);
    const all: unknown[] = [];
    for (const ev of ['job', 'step', 'log', 'notification'] as const) h.engine.on(ev, (e: unknown) => all.push(e));
    const job = await h.engine.start(planOf(inventory(1, 3), [spec('w')]), { operator: 'alice', workflowText: '', jobId: 'nj' });
    const outcome = await h.clock.run(job.done);
    expect(outcome.state).toBe('failed');
    await h.engine.close(); // flushes the notifier's pending deliveries
    expect(r.received).toHaveLength(1);
    expect(String(r.received[0]!.body.content)).toMatch(/^<@42> .*job nj.*FAILED.*scylla did not come back/s);
    const notes = all.filter((e): e is NotificationEvent => (e as NotificationEvent).status !== undefined && (e as NotificationEvent).channel !== undefined);
    expect(notes.filter((e) => e.channel === 'discord').map((e) => e.status)).toEqual(['sent']);
    expect(notes.filter((e) => e.channel === 'webhook').map((e) => e.status)).toEqual(['retrying', 'retrying', 'failed']);
    expect(logs.join('\n')).toContain('failed after 3 attempt(s)');
    const everything = JSON.stringify([all, logs, await h.store.listEvents('nj'), await h.store.getJob('nj'), await h.store.getSteps('nj')]);
    expect(everything).not.toContain(SECRET);
  });

  it('notifies on completion only when asked to', async () => {
    const r = await receiver();
    const h = harness({ w: async () => {} });
    const quiet = new WebhookNotifier({ targets: [{ kind: 'slack', url: `${r.base}/quiet` }] });
    const loud = new WebhookNotifier({ targets: [{ kind: 'slack', url: `${r.base}/loud` }], notifyOn: ['failed', 'succeeded'] });
    quiet.attach(h.engine);
    loud.attach(h.engine);
    const job = await h.engine.start(planOf(inventory(1, 1), [spec('w')]), { operator: 'o', workflowText: '', jobId: 'ok' });
    await h.clock.run(job.done);
    await Promise.all([quiet.flush(), loud.flush()]);
    expect(r.received.map((x) => x.path)).toEqual(['/loud']);
    expect(String(r.received[0]!.body.text)).toContain('job ok');
  });
});

describe('WebhookNotifier options used by the CLI', () => {
  it('operatorMention tags Discord messages of targets without their own mention; notifyOnSuccess adds success', async () => {
    const r = await receiver();
    const h = harness({ w: async () => {} });
    const n = new WebhookNotifier({ targets: [{ kind: 'discord', url: `${r.base}/d/${SECRET}` }], operatorMention: '1234', notifyOnSuccess: true });
    n.attach(h.engine);
    const job = await h.engine.start(planOf(inventory(1, 1), [spec('w')]), { operator: 'o', workflowText: '', jobId: 'cli' });
    await h.clock.run(job.done);
    await n.flush();
    expect(r.received).toHaveLength(1);
    expect(r.received[0]!.body).toMatchObject({ content: expect.stringMatching(/^<@1234> .*job cli/s), allowed_mentions: { parse: [], users: ['1234'] } });
    expect(() => new WebhookNotifier({ targets: [{ kind: 'discord', url: 'https://x.example/h' }], operatorMention: '@everyone' })).toThrow(/numeric/);
  });
});

it('notifies when a run is interrupted because another runner took the job over', async () => {
  const r = await receiver();
  const h = harness({ w: async (ctx) => ctx.clock.sleep(50_000, ctx.signal) });
  const n = new WebhookNotifier({ targets: [{ kind: 'webhook', url: `${r.base}/g/${SECRET}` }] });
  n.attach(h.engine);
  const job = await h.engine.start(planOf(inventory(1, 2), [spec('w')]), { operator: 'o', workflowText: '', jobId: 'int' });
  await h.clock.advance(1_000);
  await h.store.acquireLease('int', 'intruder', 30_000, h.clock.now() + 3_600_000);
  expect((await h.clock.run(job.done)).state).toBe('interrupted');
  await h.engine.close();
  expect(r.received).toHaveLength(1);
  expect(r.received[0]!.body).toMatchObject({ event: 'job.interrupted', state: 'interrupted', error: { name: 'StaleFencingTokenError' } });
  expect(String(r.received[0]!.body.text)).toContain('was INTERRUPTED');
});
