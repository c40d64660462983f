import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

/** A Verdaccio registry on 127.0.0.1 with a temporary storage and no uplink. */
export interface LocalRegistry {
  url: string;
  /** A token of the registry's one user, for publishing. */
  token: string;
  /** Verdaccio's output so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts Verdaccio (the `verdaccio` devDependency) from `repoRoot`'s node_modules on 127.0.0.1
 * with its storage, config and htpasswd under `dir`. The config has no uplinks: a package that
 * was not published to it is a 404, never fetched from another registry.
 */
export async function startVerdaccio(repoRoot: string, dir: string): Promise<LocalRegistry> {
  const bin = path.join(repoRoot, 'node_modules/verdaccio/bin/verdaccio');
  if (!fs.existsSync(bin)) throw new Error(`verdaccio is not installed at ${bin}: run npm ci at the repository root`);
  fs.mkdirSync(path.join(dir, 'storage'), { recursive: true });
  const config = path.join(dir, 'config.yaml');
  fs.writeFileSync(
    config,
    [
      `storage: ${JSON.stringify(path.join(dir, 'storage'))}`,
      'auth:',
      '  htpasswd:',
      `    file: ${JSON.stringify(path.join(dir, 'htpasswd'))}`,
      '    max_users: 1',
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      '    unpublish: $authenticated',
      'max_body_size: 300mb',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [bin, '--config', config, '--listen', `127.0.0.1:${port}`], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  let exited = false;
  child.on('exit', () => (exited = true));
  const stop = () =>
    new Promise<void>((resolve) => {
      if (exited) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`verdaccio exited at start:\n${output}`);
    try {
      const res = await fetch(`${url}/-/ping`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`verdaccio did not answer on ${url} within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const res = await fetch(`${url}/-/user/org.couchdb.user:e2e`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'e2e', password: `e2e-${crypto.randomUUID()}` }),
  });
  const body = (await res.json()) as { token?: string };
  if (!res.ok || !body.token) {
    await stop();
    throw new Error(`verdaccio refused the user: ${res.status} ${JSON.stringify(body)}`);
  }
  return { url, token: body.token, log: () => output, stop };
}

interface LockEntry {
  name: string;
  version: string;
  integrity?: string;
  /** Folder of the installed copy, relative to the repository root. */
  installedAt: string;
  deps: string[];
}

/** Lockfile entries by package name (every installed copy; workspace links left out). */
function readLockfile(repoRoot: string): Map<string, LockEntry[]> {
  const lock = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; integrity?: string; link?: boolean; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }> }>;
  };
  const byName = new Map<string, LockEntry[]>();
  for (const [key, e] of Object.entries(lock.packages)) {
    const i = key.lastIndexOf('node_modules/');
    if (i < 0 || e.link || !e.version) continue;
    const name = key.slice(i + 'node_modules/'.length);
    const peers = Object.keys(e.peerDependencies ?? {}).filter((p) => !e.peerDependenciesMeta?.[p]?.optional);
    const entry: LockEntry = {
      name,
      version: e.version,
      installedAt: key,
      deps: [...Object.keys(e.dependencies ?? {}), ...Object.keys(e.optionalDependencies ?? {}), ...peers],
      ...(e.integrity ? { integrity: e.integrity } : {}),
    };
    byName.set(name, [...(byName.get(name) ?? []), entry]);
  }
  return byName;
}

/** Every package name reachable from `roots` through the lockfile (dependencies, optional ones, required peers). */
export function lockfileClosure(repoRoot: string, roots: Iterable<string>): LockEntry[] {
  const byName = readLockfile(repoRoot);
  const seen = new Set<string>();
  const queue = [...roots];
  const out: LockEntry[] = [];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (seen.has(name) || name.startsWith('@scylla-cp/')) continue;
    seen.add(name);
    const entries = byName.get(name);
    if (!entries) throw new Error(`${name} is needed but not in package-lock.json: add it to the repository's devDependencies`);
    for (const e of entries) {
      out.push(e);
      queue.push(...e.deps);
    }
  }
  return out;
}

/** npm's cache folder, as npm itself reports it (read only: this test never writes there). */
function npmCacheDir(): string {
  try {
    return execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8', env: { ...process.env } }).trim();
  } catch {
    return path.join(os.homedir(), '.npm');
  }
}

/**
 * The published tarball of a lockfile entry: from npm's content-addressed cache by the lockfile's
 * integrity (`npm ci` put it there), else packed from the installed folder with `npm pack`.
 * Returns undefined for an optional package of another platform that was never installed.
 */
function tarballOf(repoRoot: string, e: LockEntry, cacheDir: string, packDir: string): Buffer | undefined {
  if (e.integrity) {
    const [algorithm, b64] = e.integrity.split(' ')[0]!.split('-') as [string, string];
    const hex = Buffer.from(b64, 'base64').toString('hex');
    const file = path.join(cacheDir, '_cacache', 'content-v2', algorithm, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
    if (fs.existsSync(file)) {
      const data = fs.readFileSync(file);
      if (crypto.createHash(algorithm).update(data).digest('base64') === b64) return data;
    }
  }
  const installed = path.join(repoRoot, e.installedAt);
  if (!fs.existsSync(path.join(installed, 'package.json'))) return undefined;
  const out = execFileSync('npm', ['pack', installed, '--pack-destination', packDir, '--ignore-scripts', '--json'], {
    encoding: 'utf8',
    cwd: packDir,
  });
  const [packed] = JSON.parse(out) as { filename: string }[];
  return fs.readFileSync(path.join(packDir, packed!.filename));
}

/** The manifest inside a package tarball (`package/package.json`), read with zlib and the tar header layout. */
export function manifestOf(tgz: Buffer): Record<string, unknown> {
  const tar = zlibGunzip(tgz);
  for (let off = 0; off + 512 <= tar.length; ) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const prefix = header.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
    const full = prefix ? `${prefix}/${name}` : name;
    if (/^[^/]+\/package\.json$/.test(full)) return JSON.parse(tar.subarray(off + 512, off + 512 + size).toString('utf8')) as Record<string, unknown>;
    off += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error('tarball without package.json');
}

function zlibGunzip(data: Buffer): Buffer {
  return zlib.gunzipSync(data);
}

/**
 * Publishes a package tarball through the registry's publish endpoint (what `npm publish` sends):
 * the manifest with `dist` and the tarball as an attachment.
 */
export async function putTarball(registry: LocalRegistry, tgz: Buffer): Promise<void> {
  const manifest = manifestOf(tgz) as { name: string; version: string; description?: string };
  const file = `${manifest.name.replace(/^@[^/]+\//, '')}-${manifest.version}.tgz`;
  const body = {
    _id: manifest.name,
    name: manifest.name,
    ...(manifest.description ? { description: manifest.description } : {}),
    'dist-tags': { latest: manifest.version },
    versions: {
      [manifest.version]: {
        ...manifest,
        _id: `${manifest.name}@${manifest.version}`,
        dist: {
          shasum: crypto.createHash('sha1').update(tgz).digest('hex'),
          integrity: `sha512-${crypto.createHash('sha512').update(tgz).digest('base64')}`,
          tarball: `${registry.url}/${manifest.name}/-/${file}`,
        },
      },
    },
    _attachments: { [file]: { content_type: 'application/octet-stream', data: tgz.toString('base64'), length: tgz.length } },
  };
  const res = await fetch(`${registry.url}/${manifest.name.replace('/', '%2f')}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${registry.token}` },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`publishing ${manifest.name}@${manifest.version} to ${registry.url}: ${res.status} ${await res.text()}`);
}

const compareVersions = (a: string, b: string): number => {
  const pa = a.split(/[.+-]/).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  const pb = b.split(/[.+-]/).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
};

/**
 * Fills the registry with the third-party packages that `roots` need, exactly the versions of
 * the repository's lockfile, from npm's cache (or packed from node_modules): no other registry is
 * contacted. Versions of one package go in ascending order, so `latest` is the newest.
 * Returns how many tarballs were published, and the names of platform packages left out
 * (optional packages for other operating systems or CPUs, never installed here).
 */
export async function publishThirdParty(registry: LocalRegistry, repoRoot: string, roots: Iterable<string>, workDir: string): Promise<{ published: number; skipped: string[] }> {
  const entries = lockfileClosure(repoRoot, roots);
  const cacheDir = npmCacheDir();
  fs.mkdirSync(workDir, { recursive: true });
  const byName = new Map<string, Map<string, LockEntry>>();
  for (const e of entries) {
    const versions = byName.get(e.name) ?? new Map<string, LockEntry>();
    versions.set(e.version, e);
    byName.set(e.name, versions);
  }
  let published = 0;
  const skipped: string[] = [];
  const names = [...byName.keys()];
  const worker = async () => {
    for (let name = names.pop(); name !== undefined; name = names.pop()) {
      const versions = [...byName.get(name)!.values()].sort((a, b) => compareVersions(a.version, b.version));
      for (const e of versions) {
        const tgz = tarballOf(repoRoot, e, cacheDir, workDir);
        if (!tgz) {
          skipped.push(`${e.name}@${e.version}`);
          continue;
        }
        await putTarball(registry, tgz);
        published += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  return { published, skipped: skipped.sort() };
}

/**
 * Serves `better-sqlite3`'s compiled addon from this repository's node_modules on 127.0.0.1 as a
 * prebuilt-binary mirror (the layout `prebuild-install` downloads), so that installing it in the
 * temporary projects neither compiles it nor downloads it from anywhere else. Point npm at it with
 * `better_sqlite3_binary_host=<url>` in `.npmrc`.
 */
export async function serveBetterSqlitePrebuild(repoRoot: string, dir: string): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const addon = path.join(repoRoot, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
  if (!fs.existsSync(addon)) throw new Error(`${addon} is missing: run npm ci at the repository root (it builds better-sqlite3)`);
  fs.mkdirSync(dir, { recursive: true });
  const archive = path.join(dir, 'better-sqlite3-prebuild.tar.gz');
  execFileSync('tar', ['-czf', archive, '-C', path.join(repoRoot, 'node_modules/better-sqlite3'), 'build/Release/better_sqlite3.node']);
  const data = fs.readFileSync(archive);
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url?.endsWith(`-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`)) {
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': data.length });
      res.end(data);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
