import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { definePlugin, parseInventory, PluginRegistry, SystemClock } from '@scylla-cp/core';
import { NodeShellService, type NodeShell } from '@scylla-cp/tasks-scylla';
import { SimCluster, SimHttpShell, simHttpShellFor, simShellOverride } from '../src/index.js';
import { SEED } from './helpers.js';

let cluster: SimCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function waitUntil(pred: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('HTTP mode on 127.0.0.1', () => {
  it('serves the REST API with real encodings, /metrics, and writes an inventory that maps every node to its ports', async () => {
    cluster = new SimCluster({ seed: SEED, timeScale: 0.05, nodesPerZone: 1 });
    await cluster.start();
    const node = cluster.nodes[0]!;
    const p = cluster.ports(node.id);
    expect(new Set([p.api, p.metrics, p.control]).size).toBe(3);

    let r = await fetch(`http://127.0.0.1:${p.api}/storage_service/operation_mode`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(await r.text()).toBe('"NORMAL"');
    r = await fetch(`http://127.0.0.1:${p.api}/gossiper/endpoint/live`); // trailing slash optional
    expect(await r.json()).toEqual(cluster.nodes.map((n) => n.address));
    r = await fetch(`http://127.0.0.1:${p.api}/storage_service/no_such_thing`);
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ message: 'Not found', code: 404 });
    r = await fetch(`http://127.0.0.1:${p.api}/storage_service/remove_node`, { method: 'POST' });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ message: "Missing mandatory parameter 'host_id'", code: 400 });
    r = await fetch(`http://127.0.0.1:${p.api}/storage_service/flush`, { method: 'POST' });
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('');
    r = await fetch(`http://127.0.0.1:${p.metrics}/metrics`);
    expect(r.headers.get('content-type')).toContain('text/plain');
    expect(await r.text()).toContain('scylla_node_operation_mode{shard="0"} 3.000000');
    r = await fetch(`http://127.0.0.1:${p.metrics}/metrics?__name__=scylla_compaction_manager_*`);
    const filtered = await r.text();
    expect(filtered).toContain('scylla_compaction_manager_pending_compactions{shard="0"}');
    expect(filtered).not.toContain('scylla_node_operation_mode');

    const dir = await mkdtemp(join(tmpdir(), 'sim-inv-'));
    try {
      const file = join(dir, 'inventory.yaml');
      await cluster.writeInventory(file);
      const text = await readFile(file, 'utf8');
      expect(parse(text)).toBeTypeOf('object');
      const inv = parseInventory(text); // core's own inventory parser accepts it
      expect(inv.name).toBe('sim-cluster');
      expect(inv.nodes).toHaveLength(3);
      for (const n of inv.nodes) {
        const ports = cluster.ports(n.id);
        expect(n.address).toBe(cluster.node(n.id).address);
        expect(n.connection['scylla_api']).toEqual({ host: '127.0.0.1', port: ports.api });
        expect(n.connection['prometheus_target']).toBe(`127.0.0.1:${ports.metrics}`);
        expect(n.connection['shell']).toEqual({ kind: 'sim', url: `http://127.0.0.1:${ports.control}` });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('closes the listener of a stopped node (connection refused), reopens it on the same port, and drives it through SimHttpShell', async () => {
    cluster = new SimCluster({ seed: SEED, timeScale: 0.02, nodesPerZone: 1 });
    await cluster.start();
    const inv = cluster.inventory();
    const invNode = inv.nodes[1]!;
    const shell = simHttpShellFor(inv, invNode)!;
    expect(shell).toBeInstanceOf(SimHttpShell);
    const port = cluster.ports(invNode.id).api;
    const url = `http://127.0.0.1:${port}/storage_service/operation_mode`;

    expect(await shell.run(['systemctl', 'stop', 'scylla-server'])).toMatchObject({ exitCode: 0 });
    await waitUntil(async () => {
      try {
        await fetch(url);
        return false;
      } catch (e) {
        return ((e as Error).cause as { code?: string } | undefined)?.code === 'ECONNREFUSED';
      }
    });
    expect(await shell.run(['systemctl', 'start', 'scylla-server'])).toMatchObject({ exitCode: 0 });
    await waitUntil(async () => {
      try {
        return (await (await fetch(url)).text()) === '"NORMAL"';
      } catch {
        return false;
      }
    });
    expect(cluster.ports(invNode.id).api).toBe(port);

    // scylla.yaml through the shell: tee from stdin, read back
    const yaml = (await shell.run(['cat', '/etc/scylla/scylla.yaml'])).stdout;
    expect(yaml).toContain('cluster_name:');
    const edited = `${yaml}compaction_throughput_mb_per_sec: 64\n`;
    expect(await shell.run(['tee', '/etc/scylla/scylla.yaml.scylla-cp.tmp'], { stdin: edited })).toMatchObject({ exitCode: 0 });
    expect(await shell.run(['mv', '-f', '/etc/scylla/scylla.yaml.scylla-cp.tmp', '/etc/scylla/scylla.yaml'])).toMatchObject({ exitCode: 0 });
    expect((await shell.run(['cat', '/etc/scylla/scylla.yaml'])).stdout).toBe(edited);

    // the oplog and fault control over HTTP
    const control = `http://127.0.0.1:${cluster.ports(invNode.id).control}`;
    const log = (await (await fetch(`${control}/_sim/oplog?node=${invNode.id}`)).json()) as { action: string }[];
    expect(log.map((e) => e.action)).toContain('config-write');
    expect(log.map((e) => e.action).filter((a) => a.startsWith('systemctl-'))).toEqual(['systemctl-stop', 'systemctl-start']);
    const f = await fetch(`${control}/_sim/faults`, { method: 'POST', body: JSON.stringify({ kind: 'api-errors', count: 2, status: 503 }) });
    expect(f.status).toBe(201);
    expect((await fetch(url)).status).toBe(503);
    const second = await fetch(url);
    expect(second.status).toBe(503);
    expect(await second.json()).toEqual({ message: 'std::runtime_error (simulated fault)', code: 503 });
    expect((await fetch(url)).status).toBe(200);
    // refuse-connections over the control endpoint closes the REST listener until cleared
    const refuse = (await (await fetch(`${control}/_sim/faults`, { method: 'POST', body: JSON.stringify({ kind: 'refuse-connections' }) })).json()) as { id: string };
    await waitUntil(async () => {
      try {
        await fetch(url);
        return false;
      } catch (e) {
        return ((e as Error).cause as { code?: string } | undefined)?.code === 'ECONNREFUSED';
      }
    });
    expect(((await (await fetch(`${control}/_sim/faults`)).json()) as { id: string }[]).map((f) => f.id)).toEqual([refuse.id]);
    expect((await fetch(`${control}/_sim/faults/${refuse.id}`, { method: 'DELETE' })).status).toBe(200);
    await waitUntil(async () => {
      try {
        return (await fetch(url)).status === 200;
      } catch {
        return false;
      }
    });
    const bad = await fetch(`${control}/_sim/faults`, { method: 'POST', body: JSON.stringify({ kind: 'meteor' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/unknown fault kind/);
  });
});

describe('simShellOverride', () => {
  it('gives sim nodes a SimHttpShell and every other node the shell its plugins provide', async () => {
    cluster = new SimCluster({ seed: SEED, timeScale: 0.02, nodesPerZone: 1 });
    await cluster.start();
    const fallbackShell: NodeShell = { run: async () => ({ exitCode: 0, stdout: 'ssh', stderr: '', truncated: false }) };
    const registry = new PluginRegistry().register(
      definePlugin({ name: 'fake-shells', version: '1.0.0', services: [{ key: NodeShellService, create: () => fallbackShell }] }),
    );
    simShellOverride(registry);
    const inv = cluster.inventory();
    const real = { id: 'real-1', address: '192.0.2.1', dc: 'dc1', rack: 'r1', zone: 'r1', labels: {}, connection: {} };
    const inventory = { ...inv, nodes: [...inv.nodes, real] };
    const scope = (node: (typeof inventory.nodes)[number]) => ({
      inventory,
      node,
      job: { id: 'j', operator: 'test', variables: {}, workflowName: 'w' },
      clock: new SystemClock(),
      signal: new AbortController().signal,
    });
    const simShell = registry.services.bind(scope(inv.nodes[0]!)).get(NodeShellService);
    expect(simShell).toBeInstanceOf(SimHttpShell);
    expect(await simShell.run(['systemctl', 'is-active', 'scylla-server'])).toMatchObject({ exitCode: 0, stdout: 'active\n' });
    expect(registry.services.bind(scope(real)).get(NodeShellService)).toBe(fallbackShell);
    cluster.kill(inv.nodes[0]!.id, { host: true });
    await expect(simShell.run(['systemctl', 'is-active', 'scylla-server'])).rejects.toMatchObject({ code: 'SHELL_UNREACHABLE' });
  });
});
