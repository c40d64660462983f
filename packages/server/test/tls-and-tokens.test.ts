import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidInputError, MemoryStore } from '@scylla-cp/core';
import { addTokenToFile, createServer, hashToken, parseTokensFile, readTokensFile, TokenRegistry } from '../src/index.js';
import { coreRegistry, OPERATOR_TOKEN, TEST_TOKENS } from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scp-server-tls-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('TLS', () => {
  it('serves HTTPS with the given certificate, and only HTTPS', async () => {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {
      stdio: 'ignore',
    });
    const server = await createServer({ store: new MemoryStore(), registry: coreRegistry(), tokens: TEST_TOKENS, tls: { cert: fs.readFileSync(cert), key: fs.readFileSync(key) } });
    try {
      const url = await server.listen();
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const dispatcher = new Agent({ connect: { ca: fs.readFileSync(cert, 'utf8') } });
      const res = await undiciFetch(`${url}/v1/jobs`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` }, dispatcher });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ jobs: [] });
      // Without trusting the certificate, the client refuses; plain HTTP gets no answer.
      await expect(undiciFetch(`${url}/healthz`)).rejects.toThrow();
      await expect(fetch(url.replace('https:', 'http:') + '/healthz')).rejects.toThrow();
      await dispatcher.close();
    } finally {
      await server.close();
    }
  });
});

describe('tokens', () => {
  it('stores only the hash of a token, and knows the token by it', () => {
    const file = path.join(dir, 'tokens.json');
    const token = addTokenToFile(file, 'carol', 'operator');
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(token);
    expect(text).toContain(hashToken(token));
    expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
    const reg = new TokenRegistry(readTokensFile(file));
    expect(reg.authenticateHeader(`Bearer ${token}`)).toEqual({ name: 'carol', role: 'operator' });
    expect(reg.authenticateHeader(`Bearer ${token}x`)).toBeUndefined();
    expect(reg.authenticateHeader(token)).toBeUndefined();
  });

  it('says what is wrong in a tokens file, and where', () => {
    expect(() => parseTokensFile('{', 'tokens.json')).toThrow(/tokens\.json: not valid JSON/);
    const bad = JSON.stringify({ tokens: [{ name: 'x', role: 'admin', sha256: 'abc' }] });
    let err: unknown;
    try {
      parseTokensFile(bad, 'tokens.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/tokens\.json: tokens\.0\.role/);
    expect((err as Error).message).toMatch(/tokens\.json: tokens\.0\.sha256: sha256 must be 64 lowercase hex digits/);
  });
});
