import { describe, expect, it } from 'vitest';
import { findRoute, normalizeScyllaPath, SCYLLA_CLIENT_ROUTES, SCYLLA_ROUTES } from '../src/index.js';

describe('route manifest', () => {
  it('holds the Swagger 1.2 operations, each method+path once', () => {
    expect(SCYLLA_ROUTES.length).toBe(491);
    const keys = new Set(SCYLLA_ROUTES.map((r) => `${r.method} ${r.path}`));
    expect(keys.size).toBe(SCYLLA_ROUTES.length);
  });

  it('records declared response types and enums as in the definitions', () => {
    const status = SCYLLA_ROUTES.find((r) => r.method === 'GET' && r.path === '/storage_service/repair_async/{keyspace}')!;
    expect(status.responseType).toBe('string');
    expect(status.responseEnum).toEqual(['RUNNING', 'SUCCESSFUL', 'FAILED']);
    expect(status.params.find((p) => p.name === 'id')).toMatchObject({ in: 'query', type: 'long', required: true });
    expect(SCYLLA_ROUTES.find((r) => r.method === 'POST' && r.path === '/storage_service/drain')!.responseType).toBe('void');
    expect(SCYLLA_ROUTES.find((r) => r.path === '/storage_service/host_id')!.responseType).toBe('array<mapper>');
  });
});

describe('findRoute', () => {
  it('matches path parameters and ignores the query string and a trailing slash', () => {
    const m = findRoute('GET', '/storage_service/repair_async/my_ks?id=3')!;
    expect(m.route.nickname).toBe('repair_async_status');
    expect(m.pathParams).toEqual({ keyspace: 'my_ks' });
    expect(findRoute('get', '/gossiper/endpoint/live')!.route.path).toBe('/gossiper/endpoint/live/');
    expect(findRoute('GET', '/gossiper/endpoint/live/')!.route.nickname).toBe('get_live_endpoint');
    expect(findRoute('GET', '/storage_service/operation_mode/')!.route.nickname).toBe('get_operation_mode');
  });

  it('distinguishes methods on the same path', () => {
    expect(findRoute('POST', '/storage_service/drain')!.route.responseType).toBe('void');
    expect(findRoute('GET', '/storage_service/drain')!.route.responseType).toBe('string');
    expect(findRoute('PUT', '/storage_service/drain')).toBeUndefined();
  });

  it('prefers a literal segment over a parameter', () => {
    expect(findRoute('GET', '/storage_service/snapshots/size/true')!.route.nickname).toBe('true_snapshots_size');
  });

  it('answers undefined for unknown paths and for empty parameter segments', () => {
    expect(findRoute('GET', '/storage_service/no_such_thing')).toBeUndefined();
    expect(findRoute('GET', '/storage_service/describe_ring/')).toBeUndefined();
    expect(normalizeScyllaPath('/a/b/?x=1')).toBe('/a/b');
  });
});

describe('client fidelity', () => {
  const sample = (template: string) => template.replace(/\{([^}]+)\}/g, (_, n: string) => `sample_${n}`);

  for (const [name, route] of Object.entries(SCYLLA_CLIENT_ROUTES)) {
    it(`${name}: ${route.method} ${route.path} is in the manifest with response type ${route.responseType}`, () => {
      const exact = SCYLLA_ROUTES.find((r) => r.method === route.method && r.path === route.path);
      expect(exact, `${route.method} ${route.path} not in the manifest`).toBeDefined();
      expect(exact!.responseType).toBe(route.responseType);
      const matched = findRoute(route.method, sample(route.path));
      expect(matched?.route).toBe(exact);
    });
  }
});
