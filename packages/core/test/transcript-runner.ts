// Transcript tests for the engine's resume promise, in the style of etcd raft's datadriven
// testdata: a file is a list of blocks, each a command line, `----`, and the expected output
// (no blank line inside; a blank line ends the block). Lines starting with `#` between blocks
// are prose. The output of `run` and `resume` is rendered from the store's event log, so a
// transcript reads as a specification of what a job records. `UPDATE=1` rewrites the expected
// output (only commit the change if you understand what caused it).
//
// Harness code: runs on VirtualClock and MemoryStore, one stand-in node task per name.
import {
  Engine,
  MemoryStore,
  PluginRegistry,
  RecoverableError,
  UnrecoverableError,
  VirtualClock,
  type JobHandle,
  type JobPlan,
  type NodeExecutionContext,
  type StoredEvent,
} from '@scylla-cp/core';
import { T0, inventory, planOf, spec, testPlugin, type Behavior } from './engine-fixtures.js';

/** One block of a transcript: its command line and the output it produced or expects. */
export interface TranscriptBlock {
  /** Prose (`#` lines) and blank lines written before the command, kept when rewriting. */
  preamble: string[];
  command: string;
  /** 1-based line of the command in its file. */
  line: number;
  output: string;
}

/** Parses transcript text into blocks; throws naming the line when a block has no `----`. */
export function parseTranscript(text: string, file = '<transcript>'): { blocks: TranscriptBlock[]; trailer: string[] } {
  const lines = text.split('\n');
  const blocks: TranscriptBlock[] = [];
  let preamble: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i]!;
    if (l.trim() === '' || l.startsWith('#')) {
      preamble.push(l);
      i++;
      continue;
    }
    const command = l.trim();
    const line = i + 1;
    if (lines[i + 1] !== '----') throw new Error(`${file}:${line}: command "${command}" must be followed by a line "----"`);
    i += 2;
    const out: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '') out.push(lines[i++]!);
    blocks.push({ preamble, command, line, output: out.join('\n') });
    preamble = [];
  }
  return { blocks, trailer: preamble };
}

/** Writes blocks back as transcript text (the inverse of {@link parseTranscript}). */
export function formatTranscript(blocks: TranscriptBlock[], trailer: string[]): string {
  const parts: string[] = [];
  for (const b of blocks) parts.push(...b.preamble, b.command, '----', ...(b.output === '' ? [] : b.output.split('\n')));
  parts.push(...trailer);
  return parts.join('\n');
}

type Fault = { kind: 'recoverable' | 'unrecoverable'; left: number };
type Trigger = 'crash' | 'pause' | 'cancel' | 'cancel-now';

/** Parsed `key=value` arguments and positional words of a command line. */
interface Args {
  words: string[];
  keys: Map<string, string>;
}

function parseArgs(rest: string[]): Args {
  const words: string[] = [];
  const keys = new Map<string, string>();
  for (const w of rest) {
    const eq = w.indexOf('=');
    if (eq > 0) keys.set(w.slice(0, eq), w.slice(eq + 1));
    else words.push(w);
  }
  return { words, keys };
}

const taskOf = (ctx: unknown) => {
  const c = ctx as NodeExecutionContext;
  return { node: c.node.id, attempt: c.attempt };
};

/**
 * The world a transcript runs in: one job on a MemoryStore, the faults and triggers armed by
 * commands, and the runner process of the moment (each `resume` is a new process on its own
 * VirtualClock, as the CLI's `resume` would be).
 */
export class TranscriptWorld {
  readonly store = new MemoryStore();
  readonly jobId = 'job';
  #plan: JobPlan | undefined;
  #faults = new Map<string, Fault>();
  #triggers = new Map<string, { kind: Trigger; attempt: number | undefined }>();
  #crashAtMs: number | undefined;
  #runners = 0;
  #clock = new VirtualClock({ startMs: T0 });
  #handle: JobHandle | undefined;
  #crashed: (() => void) | undefined;
  #printedSeq = 0;
  #taskNames: string[] = [];

  /** One handler per command; each returns its output. */
  readonly handlers: Record<string, (args: Args) => Promise<string> | string> = {
    job: (a) => this.#job(a),
    fail: (a) => this.#fail(a),
    crash: (a) => this.#trigger('crash', a),
    pause: (a) => this.#trigger('pause', a),
    cancel: (a) => this.#trigger(a.keys.get('now') === 'true' ? 'cancel-now' : 'cancel', a),
    run: () => this.#run(),
    resume: (a) => this.#resume(a),
    steps: () => this.#steps(),
    state: () => this.#state(),
  };

  /** Runs one command line and returns its rendered output. */
  async handle(command: string): Promise<string> {
    const [name, ...rest] = command.split(/\s+/);
    const handler = this.handlers[name!];
    if (!handler) throw new Error(`unknown command "${name}" (known: ${Object.keys(this.handlers).join(', ')})`);
    return handler(parseArgs(rest));
  }

  // job zones=<z> nodes=<n per zone> tasks=<a,b,...> [retries=<n>] [limit=<n>] [abort_on_first_failure=false]
  #job(a: Args): string {
    const zones = Number(a.keys.get('zones') ?? 1);
    const perZone = Number(a.keys.get('nodes') ?? 1);
    const retries = Number(a.keys.get('retries') ?? 0);
    this.#taskNames = (a.keys.get('tasks') ?? 'work').split(',');
    const tasks = this.#taskNames.map((name) => spec(name, { retries, retryBackoff: { initialSeconds: 5, multiplier: 2, maxSeconds: 60 } }));
    this.#plan = planOf(inventory(zones, perZone), tasks, {
      limit: Number(a.keys.get('limit') ?? 1),
      abortOnFirstFailure: a.keys.get('abort_on_first_failure') !== 'false',
    });
    const lines: string[] = [];
    for (const step of this.#plan.steps) {
      if (step.kind !== 'node-workflow') continue;
      for (const b of step.batches) lines.push(`${b.id} ${b.unit}: ${b.nodes.join(' ')}`);
    }
    lines.push(`tasks: ${this.#taskNames.map((t, i) => `t${i}=${t}`).join(' ')} (retries ${retries}, backoff 5s x2)`);
    return lines.join('\n');
  }

  // fail <node> <task> recoverable|unrecoverable [x<n>]
  #fail(a: Args): string {
    const [node, task, kind, times] = a.words;
    if (kind !== 'recoverable' && kind !== 'unrecoverable') throw new Error(`fail: kind must be recoverable or unrecoverable, got "${kind}"`);
    const left = times === undefined ? 1 : Number(times.replace(/^x/, ''));
    this.#faults.set(`${node} ${task}`, { kind, left });
    return 'ok';
  }

  // crash|pause|cancel <node> <task> [attempt=<n>] [now=true]: when that attempt (default: the
  // next one) of the task starts on the node. `crash at=<seconds>`: at that virtual time.
  #trigger(kind: Trigger, a: Args): string {
    const at = a.keys.get('at');
    if (kind === 'crash' && at !== undefined) {
      this.#crashAtMs = T0 + Number(at) * 1000;
      return 'ok';
    }
    const [node, task] = a.words;
    if (node === undefined || task === undefined) throw new Error(`${kind}: expected <node> <task>`);
    const attempt = a.keys.get('attempt');
    this.#triggers.set(`${node} ${task}`, { kind, attempt: attempt === undefined ? undefined : Number(attempt) });
    return 'ok';
  }

  #behaviors(): Record<string, Behavior> {
    const behaviors: Record<string, Behavior> = {};
    for (const name of this.#taskNames) {
      behaviors[name] = async (ctx) => {
        const { node, attempt } = taskOf(ctx);
        const key = `${node} ${name}`;
        const armed = this.#triggers.get(key);
        if (armed && (armed.attempt === undefined || armed.attempt === attempt)) {
          this.#triggers.delete(key);
          const trigger = armed.kind;
          if (trigger === 'crash') {
            this.#crashed?.();
            await new Promise(() => {}); // the process died: this attempt never settles
          }
          if (trigger === 'pause') this.#handle!.pause();
          if (trigger === 'cancel') this.#handle!.cancel('operator cancel');
          if (trigger === 'cancel-now') this.#handle!.abort('operator cancel --now');
        }
        await ctx.clock.sleep(1_000, ctx.signal);
        const fault = this.#faults.get(key);
        if (fault && fault.left > 0) {
          fault.left--;
          const message = `injected ${fault.kind} failure of ${name} on ${node}`;
          throw fault.kind === 'recoverable' ? new RecoverableError(message) : new UnrecoverableError(message);
        }
      };
    }
    return behaviors;
  }

  #engine(clock: VirtualClock): Engine {
    this.#runners++;
    const registry = new PluginRegistry().register(testPlugin(this.#behaviors()));
    return new Engine({ seed: 42, retryJitterRatio: 0, store: this.store, registry, clock, holder: `runner-${this.#runners}`, leaseTtlSeconds: 30, heartbeatSeconds: 10 });
  }

  async #drive(clock: VirtualClock, handle: JobHandle): Promise<string> {
    this.#handle = handle;
    const crashed = new Promise<'crashed'>((resolve) => (this.#crashed = () => resolve('crashed')));
    const racers: Array<Promise<string>> = [handle.done.then((o) => o.state), crashed];
    if (this.#crashAtMs !== undefined) {
      racers.push(clock.sleep(Math.max(0, this.#crashAtMs - clock.now())).then(() => 'crashed'));
      this.#crashAtMs = undefined;
    }
    const end = await clock.run(Promise.race(racers));
    this.#crashed = undefined;
    const lines = await this.#newEvents();
    lines.push(end === 'crashed' ? `=> runner-${this.#runners} crashed; job ${(await this.store.getJob(this.jobId)).state} in the store` : `=> job ${end}`);
    return lines.join('\n');
  }

  // run: starts the job with runner-1 and runs it until it ends or its runner crashes
  async #run(): Promise<string> {
    if (!this.#plan) throw new Error('run: no job (use "job ..." first)');
    const engine = this.#engine(this.#clock);
    const handle = await engine.start(this.#plan, { operator: 'alice', workflowText: 'transcript', jobId: this.jobId });
    return this.#drive(this.#clock, handle);
  }

  // resume [retry=true]: a new runner process resumes the job once the old lease expired
  async #resume(a: Args): Promise<string> {
    const lease = await this.store.getLease(this.jobId);
    const startMs = Math.max(this.#clock.now(), lease?.expiresAt ?? 0);
    this.#clock = new VirtualClock({ startMs });
    const engine = this.#engine(this.#clock);
    try {
      const handle = await engine.resume(this.jobId, { retryFailed: a.keys.get('retry') === 'true' });
      return this.#drive(this.#clock, handle);
    } catch (error) {
      this.#runners--; // a refused runner never ran: the next one takes its name
      const e = error as Error & { code?: string };
      return `refused: ${e.name}${e.code ? ` [${e.code}]` : ''}`;
    }
  }

  // steps: the stored step records
  async #steps(): Promise<string> {
    const steps = await this.store.getSteps(this.jobId);
    return steps
      .map((s) => `${s.stepId} ${s.state} attempts=${s.attempts}${s.lastError ? ` lastError=${s.lastError.code ?? s.lastError.name}` : ''}`)
      .join('\n');
  }

  // state: the stored job (state, fencing token, error, pending control request)
  async #state(): Promise<string> {
    const job = await this.store.getJob(this.jobId);
    const parts = [`state=${job.state}`, `fencingToken=${job.fencingToken}`];
    if (job.error) parts.push(`error=${errorText(job.error as RenderedError)}`);
    if (job.control) parts.push(`control=${job.control}`);
    return parts.join(' ');
  }

  async #newEvents(): Promise<string[]> {
    const events = await this.store.listEvents(this.jobId);
    const fresh = events.filter((e) => e.seq > this.#printedSeq);
    if (fresh.length > 0) this.#printedSeq = fresh[fresh.length - 1]!.seq;
    return fresh.map((e) => renderEvent(e, this.#taskNames));
  }
}

interface RenderedError {
  name?: string;
  code?: string;
  cause?: RenderedError;
}

const errorText = (e: RenderedError): string => {
  const self = e.code ?? e.name ?? '?';
  return e.cause ? `${self}<-${errorText(e.cause)}` : self;
};

/** One event as a line: `<seconds since T0>s <type> [step (task)] key=value ...`. */
export function renderEvent(e: StoredEvent, taskNames: readonly string[] = []): string {
  const parts = [`${((e.at - T0) / 1000).toFixed(0).padStart(3)}s`, e.type];
  if (e.stepId !== undefined) {
    parts.push(e.stepId);
    const index = /\/t(\d+)$/.exec(e.stepId)?.[1];
    const name = index === undefined ? undefined : taskNames[Number(index)];
    if (name !== undefined && (e.type === 'step.started' || e.type === 'step.attempt')) parts.push(`(${name})`);
  }
  const d = e.data;
  if (d.attempt !== undefined) parts.push(`attempt=${String(d.attempt)}`);
  if (d.delayMs !== undefined) parts.push(`delay=${Number(d.delayMs) / 1000}s`);
  if (d.holder !== undefined) parts.push(`by=${String(d.holder)}`);
  if (d.retriedSteps !== undefined && d.retriedSteps !== 0) parts.push(`retried=${String(d.retriedSteps)}`);
  if (d.stepsSucceeded !== undefined) parts.push(`stepsSucceeded=${String(d.stepsSucceeded)}`);
  if (Array.isArray(d.failedNodes) && d.failedNodes.length > 0) parts.push(`failedNodes=${d.failedNodes.join(',')}`);
  if (d.error && typeof d.error === 'object') parts.push(`error=${errorText(d.error as RenderedError)}`);
  if (d.reason !== undefined) parts.push(`reason=${typeof d.reason === 'object' ? errorText(d.reason as RenderedError) : String(d.reason)}`);
  return parts.join(' ');
}

/** Runs a transcript's commands in a fresh world; returns the blocks with their actual output. */
export async function runTranscript(text: string, file?: string): Promise<{ expected: string; actual: string }> {
  const { blocks, trailer } = parseTranscript(text, file);
  const world = new TranscriptWorld();
  const actual: TranscriptBlock[] = [];
  for (const b of blocks) actual.push({ ...b, output: await world.handle(b.command) });
  return { expected: formatTranscript(blocks, trailer), actual: formatTranscript(actual, trailer) };
}
