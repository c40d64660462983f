import { describe, expect, it } from 'vitest';
import { InvalidInputError, type ClusterInventory, type InventoryNode } from '@scylla-cp/core';
import {
  LocalShell,
  nodeShellFor,
  OpenSshShell,
  ScyllaApiProviders,
  scyllaApiOptionsFor,
  ScyllaApiUnavailableError,
  usesSudo,
  type ScyllaHttpRequest,
} from '../src/index.js';

const node = (id: string, connection: Record<string, unknown> = {}): InventoryNode => ({
  id,
  address: `10.0.0.${id.slice(1)}`,
  dc: 'dc1',
  rack: 'r1',
  zone: 'z1',
  labels: {},
  connection,
});

describe('inventory settings', () => {
  it('merges per-node scylla_api settings over the inventory and validates them', () => {
    const n2 = node('n2', { scylla_api: { port: 10001 } });
    const inv: ClusterInventory = { name: 'c', nodes: [node('n1'), n2], connection: { scylla_api: { port: 10000, headers_timeout_seconds: 5 } } };
    expect(scyllaApiOptionsFor(inv, inv.nodes[0]!)).toMatchObject({ host: '10.0.0.1', port: 10000, headersTimeoutSeconds: 5 });
    expect(scyllaApiOptionsFor(inv, n2)).toMatchObject({ host: '10.0.0.2', port: 10001, headersTimeoutSeconds: 5 });
    const bad: ClusterInventory = { ...inv, connection: { scylla_api: { prot: 1 } } };
    expect(() => scyllaApiOptionsFor(bad, n2)).toThrow(InvalidInputError);
    expect(() => scyllaApiOptionsFor(bad, n2)).toThrow(/prot/);
  });

  it('picks the shell by connection.shell.kind and reads sudo; other kinds are left to other providers', () => {
    const inv = (connection: Record<string, unknown>): ClusterInventory => ({ name: 'c', nodes: [node('n1')], connection });
    expect(nodeShellFor(inv({}), node('n1'))).toBeInstanceOf(OpenSshShell);
    expect(nodeShellFor(inv({ shell: { kind: 'local' } }), node('n1'))).toBeInstanceOf(LocalShell);
    expect(() => nodeShellFor(inv({ shell: { kind: 'sim', url: 'http://x' } }), node('n1'))).toThrow(/sim/);
    expect(usesSudo(inv({ shell: { kind: 'sim', url: 'http://x' } }), node('n1'))).toBe(false);
    expect(usesSudo(inv({ ssh: { sudo: true } }), node('n1'))).toBe(true);
    expect(usesSudo(inv({ ssh: { sudo: true }, shell: { sudo: false } }), node('n1'))).toBe(false);
    expect(usesSudo(inv({}), node('n1', { ssh: { sudo: true } }))).toBe(true);
  });
});

describe('ScyllaApiProviders with a pool factory', () => {
  it('routes requests through the given pool and classifies its errors like undici', async () => {
    const seen: ScyllaHttpRequest[] = [];
    let refuse = false;
    const providers = new ScyllaApiProviders({
      poolFactory: () => ({
        async request(o) {
          seen.push(o);
          if (refuse) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
          return { statusCode: 200, body: { text: async () => '"NORMAL"' } };
        },
        async close() {},
      }),
    });
    const inv: ClusterInventory = { name: 'c', nodes: [node('n1')], connection: {} };
    const client = providers.clientFor(inv, inv.nodes[0]!);
    expect(providers.clientFor(inv, inv.nodes[0]!)).toBe(client);
    expect(await client.operationMode()).toBe('NORMAL');
    expect(seen[0]).toMatchObject({ method: 'GET', path: '/storage_service/operation_mode', headersTimeout: 30_000 });
    refuse = true;
    await expect(client.operationMode()).rejects.toBeInstanceOf(ScyllaApiUnavailableError);
    await providers.dispose();
  });
});
