import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { InvalidInputError, type JobStore, type Logger } from '@scylla-cp/core';
import { createServer, addTokenToFile, readTokensFile, type Role } from '@scylla-cp/server';
import { PostgresStore } from '@scylla-cp/store-postgres';
import type { CliContext } from '../cli-context.js';
import { createFolders } from '../create-folders.js';
import { ExitCode } from '../exit-codes.js';
import { parseNotifySpec } from '../notify-spec.js';
import { buildRegistry } from '../runtime.js';
import { stateDir } from '../state-paths.js';

/** Whether a `--db` value names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(db: string | undefined): db is string {
  return db !== undefined && /^postgres(ql)?:\/\//.test(db);
}

/** The tokens file: `--tokens`, `$SCYLLA_CP_TOKENS_FILE`, else `<stateDir>/tokens.json`. */
function tokensFile(cwd: string, env: NodeJS.ProcessEnv, flag?: string): string {
  if (flag) return path.resolve(cwd, flag);
  if (env.SCYLLA_CP_TOKENS_FILE) return path.resolve(cwd, env.SCYLLA_CP_TOKENS_FILE);
  return path.join(stateDir(env), 'tokens.json');
}

function parseListen(v: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || !(port >= 0 && port <= 65535)) throw new InvalidInputError(`--listen ${v}: expected host:port, e.g. 0.0.0.0:8080`, { code: 'BAD_FLAG' });
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

/**
 * `scylla-cp server start` (the HTTP API, SSE, auth, metrics, and a runner
 * sharing the jobs with every other replica on the same database) and
 * `scylla-cp server token` (a new bearer token, stored hashed).
 */
export function registerServerCommand(ctx: CliContext): void {
  const { io } = ctx;
  // Accepted by every command; the job commands go to the server (see remote/remote-cli.ts).
  ctx.program.option('--server <url>', 'send job commands to this scylla-cp server (default: $SCYLLA_CP_SERVER)');
  ctx.program.option('--token <token>', 'bearer token for --server (default: $SCYLLA_CP_TOKEN)');
  const server: Command = ctx.program.command('server').description('the scylla-cp server: an HTTP API for a team, runners that take over from each other');

  server
    .command('start', { isDefault: true })
    .description('(the default) serve the API and run jobs; any number of replicas may share one PostgreSQL database (--db postgres://...)')
    .option('--listen <host:port>', 'where to listen', '127.0.0.1:8080')
    .option('--tokens <file>', 'the tokens file (default: $SCYLLA_CP_TOKENS_FILE or ~/.scylla-cp/tokens.json)')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (with --tls-key)')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .option('--lease-ttl <seconds>', 'a dead replica’s jobs are taken over this long after its last heartbeat', '30')
    .option('--notify <target>', 'page on job failures: discord:<url|env:NAME|file:PATH>, slack:..., webhook:... (repeatable)', (v: string, p: string[] = []) => [...p, v])
    .addOption(new Option('--metrics-auth', 'require a viewer token on /metrics'))
    .action(async (o: { listen: string; tokens?: string; tlsCert?: string; tlsKey?: string; leaseTtl: string; notify?: string[]; metricsAuth?: boolean }) => {
      const cfg = ctx.config();
      const listen = parseListen(o.listen);
      const ttl = Number(o.leaseTtl);
      if (!(ttl >= 1)) throw new InvalidInputError(`--lease-ttl ${o.leaseTtl}: expected seconds >= 1`, { code: 'BAD_FLAG' });
      if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) throw new InvalidInputError('--tls-cert and --tls-key go together', { code: 'BAD_FLAG' });
      const file = tokensFile(io.cwd, io.env, o.tokens);
      const tokens = readTokensFile(file);
      if (tokens.length === 0) {
        throw new InvalidInputError(`no tokens in ${file}: create one first with\n  scylla-cp server token --name <you> --role operator --tokens ${file}`, { code: 'NO_TOKENS' });
      }
      const rawDb = ctx.globals().db ?? io.env.SCYLLA_CP_DB ?? cfg.db;
      const store: JobStore = isPostgresUrl(rawDb) ? await PostgresStore.open({ connectionString: rawDb }) : await ctx.store(cfg);
      const where = isPostgresUrl(rawDb) ? rawDb.replace(/\/\/[^@/]*@/, '//***@') : ctx.dbPath(cfg);
      const registry = await buildRegistry(cfg, io.cwd);
      const logger: Logger = {
        debug() {},
        info: (m) => io.stderr.write(`${new Date().toISOString()} info ${m}\n`),
        warn: (m) => io.stderr.write(`${new Date().toISOString()} warn ${m}\n`),
        error: (m) => io.stderr.write(`${new Date().toISOString()} error ${m}\n`),
      };
      const notify = (o.notify ?? cfg.notify).map((s) => parseNotifySpec(s, io.env, io.cwd));
      const srv = await createServer({
        store,
        registry,
        tokens,
        leaseTtlSeconds: ttl,
        logger,
        metricsRequireAuth: Boolean(o.metricsAuth),
        ...(o.tlsCert && o.tlsKey ? { tls: { cert: fs.readFileSync(path.resolve(io.cwd, o.tlsCert)), key: fs.readFileSync(path.resolve(io.cwd, o.tlsKey)) } } : {}),
        ...(notify.length > 0 ? { notify: { targets: notify.map((n) => ({ kind: n.kind, url: n.url })) } } : {}),
      });
      const url = await srv.listen(listen);
      io.stdout.write(
        `scylla-cp server listening on ${url} (runner ${srv.engine.holder}, store ${where}, ${tokens.length} token(s) from ${file}, lease ttl ${ttl}s)\n` +
          `  point the CLI at it: export SCYLLA_CP_SERVER=${url} SCYLLA_CP_TOKEN=<token>\n`,
      );
      await new Promise<void>((resolve) => {
        const off = io.onInterrupt(() => {
          off();
          resolve();
        });
      });
      io.stdout.write('stopping: jobs running here pause at a step boundary and are handed to another replica\n');
      await srv.close();
      await store.close();
      ctx.setExit(ExitCode.OK);
    });

  server
    .command('token')
    .description('create a bearer token; only its SHA-256 is stored (in the tokens file); the token is printed once')
    .requiredOption('--name <name>', 'who uses it (recorded with every call they make)')
    .addOption(new Option('--role <role>', 'viewer: read; operator: also submit and control jobs').choices(['viewer', 'operator']).makeOptionMandatory())
    .option('--tokens <file>', 'the tokens file (default: $SCYLLA_CP_TOKENS_FILE or ~/.scylla-cp/tokens.json)')
    .action((o: { name: string; role: Role; tokens?: string }) => {
      const file = tokensFile(io.cwd, io.env, o.tokens);
      createFolders(path.dirname(file), { label: o.tokens ? '--tokens' : io.env.SCYLLA_CP_TOKENS_FILE ? '$SCYLLA_CP_TOKENS_FILE' : 'the tokens file', target: file, code: 'BAD_FLAG' });
      const token = addTokenToFile(file, o.name, o.role);
      io.stdout.write(`${token}\n`);
      io.stderr.write(`token for "${o.name}" (${o.role}) added to ${file} (hashed); it is shown only this once\n`);
    });
}
