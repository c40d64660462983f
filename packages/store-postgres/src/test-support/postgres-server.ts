import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where Debian's `postgresql` package puts `initdb`, `pg_ctl` and `postgres`, newest first. */
const DEBIAN_BIN_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];

/** Options of {@link PostgresServer.start}. */
export interface PostgresServerOptions {
  /** Directory holding `initdb`, `pg_ctl` and `postgres`. @default `$PG_BIN`, else the newest `/usr/lib/postgresql/<n>/bin` */
  binDir?: string;
  /** TCP port on 127.0.0.1. @default a free port chosen at random by the OS */
  port?: number;
  /**
   * Extra server settings (`postgresql.conf` names), e.g. `{ fsync: 'off' }`.
   * @default none: PostgreSQL's defaults (`fsync=on`, `synchronous_commit=on`)
   */
  settings?: Record<string, string>;
  /** Prefix of the temporary directory. @default 'scp-pg-' */
  tmpPrefix?: string;
}

/**
 * A throwaway PostgreSQL server for tests and benchmarks: `initdb` in a fresh
 * temporary directory, `pg_ctl start` on 127.0.0.1 at a free port (unix socket
 * in the same directory), trust authentication for the `postgres` superuser.
 * As root (PostgreSQL refuses to run as root) every command runs as the
 * `postgres` system user through `runuser`, with the directory chowned to it.
 *
 * Test harness, not product code: import it from `@scylla-cp/store-postgres/test-support`.
 * Fails loudly (with the command to install PostgreSQL) when the binaries are missing.
 */
export class PostgresServer {
  /** The temporary directory (data in `data/`, log in `postgres.log`). */
  readonly dir: string;
  readonly port: number;
  readonly host = '127.0.0.1';
  readonly #bin: string;
  readonly #asUser: string | undefined;
  readonly #settings: Record<string, string>;
  #running = false;

  private constructor(dir: string, port: number, bin: string, asUser: string | undefined, settings: Record<string, string>) {
    this.dir = dir;
    this.port = port;
    this.#bin = bin;
    this.#asUser = asUser;
    this.#settings = settings;
  }

  /** Initializes and starts a server; stop it with {@link PostgresServer.destroy}. */
  static async start(options: PostgresServerOptions = {}): Promise<PostgresServer> {
    const bin = findBinDir(options.binDir);
    const asUser = process.getuid?.() === 0 ? 'postgres' : undefined;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), options.tmpPrefix ?? 'scp-pg-'));
    if (asUser !== undefined) await run('chown', [asUser, dir]);
    const port = options.port ?? (await freePort());
    const server = new PostgresServer(dir, port, bin, asUser, options.settings ?? {});
    try {
      await server.#exec('initdb', ['-D', server.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
      await server.startServer();
    } catch (error) {
      await server.destroy().catch(() => undefined);
      throw error;
    }
    return server;
  }

  /** The data directory. */
  get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  /** A `postgres://` URL of `database` for the `postgres` superuser. @default database 'postgres' */
  connectionString(database = 'postgres'): string {
    return `postgres://postgres@${this.host}:${this.port}/${encodeURIComponent(database)}`;
  }

  /** Starts the (stopped) server and waits until it accepts connections. */
  async startServer(): Promise<void> {
    const settings: Record<string, string> = {
      listen_addresses: this.host,
      port: String(this.port),
      unix_socket_directories: this.dir,
      max_connections: '200',
      ...this.#settings,
    };
    const opts = Object.entries(settings)
      .map(([k, v]) => `-c ${k}=${v}`)
      .join(' ');
    await this.#exec('pg_ctl', ['-D', this.dataDir, '-l', path.join(this.dir, 'postgres.log'), '-o', opts, '-w', '-t', '60', 'start']);
    this.#running = true;
  }

  /**
   * Stops the server. `fast` (@default) disconnects clients and shuts down
   * cleanly; `immediate` aborts like a crash (recovery replays the WAL at the next start).
   */
  async stopServer(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!this.#running) return;
    await this.#exec('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
    this.#running = false;
  }

  /** Stops the server (`mode`, @default `fast`), waits `downMs` (@default 0), and starts it again. */
  async restart(mode: 'fast' | 'immediate' = 'fast', downMs = 0): Promise<void> {
    await this.stopServer(mode);
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.startServer();
  }

  /** Creates an empty database `name`. */
  async createDatabase(name: string): Promise<void> {
    await this.psql('postgres', `CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  }

  /** Runs `sql` with `psql` in `database`; returns its unaligned, tuples-only output. */
  async psql(database: string, sql: string): Promise<string> {
    const { stdout } = await this.#exec('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', this.host, '-p', String(this.port), '-U', 'postgres', '-d', database, '-c', sql]);
    return stdout.trim();
  }

  /** The server log so far (for failure messages). */
  log(): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'postgres.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** Stops the server (immediately) and removes its directory. Idempotent. */
  async destroy(): Promise<void> {
    try {
      await this.stopServer('immediate');
    } finally {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }

  async #exec(program: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
    const file = path.join(this.#bin, program);
    const [cmd, argv] = this.#asUser === undefined ? [file, args] : ['runuser', ['-u', this.#asUser, '--', file, ...args]];
    try {
      return await run(cmd, argv, { cwd: this.dir, maxBuffer: 64 * 1024 * 1024 });
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(`PostgresServer: ${program} ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}${e.stdout ?? ''}\n${this.log().slice(-4000)}`, {
        cause: error,
      });
    }
  }
}

function findBinDir(given: string | undefined): string {
  const candidates = given !== undefined ? [given] : process.env.PG_BIN !== undefined ? [process.env.PG_BIN] : DEBIAN_BIN_DIRS;
  for (const dir of candidates) if (fs.existsSync(path.join(dir, 'pg_ctl')) && fs.existsSync(path.join(dir, 'initdb'))) return dir;
  throw new Error(
    `PostgresServer: PostgreSQL binaries (initdb, pg_ctl) not found in ${candidates.join(', ')}. ` +
      'Install them (Debian: apt-get install postgresql) or set PG_BIN to the directory holding them.',
  );
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
