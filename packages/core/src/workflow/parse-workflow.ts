import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { WorkflowError, type SourceLocation, type WorkflowProblem } from '../errors/input-errors.js';
import type { PluginRegistry, TagKind } from '../plugin/plugin-registry.js';
import { suggestionHint } from './did-you-mean.js';
import { isVariableValueOfType, sampleValue, variableRefs, wholeVariableRef } from './variables.js';
import type { GateEntry, NodeWorkflowSettings, RetryBackoff, TaggedValue, TaskEntry, VariableDeclaration, VariableType, Workflow } from './workflow.js';
import { variableDeclarationSchema, workflowFileSchema } from './workflow-schemas.js';
import { isTaggedValue, limitProblems, oversizedFileProblem, parseYamlTree, setOwn, WORKFLOW_MAX_TOKENS, type TreePath, type YamlLimits, type YamlTree } from './yaml-tree.js';
import { strippedKeyProblems, zodProblems, type SubstitutedVariable } from './zod-problems.js';

/** Options of {@link parseWorkflow}. */
export interface ParseWorkflowOptions {
  /** The plugins whose tags the workflow may use (register `corePlugin` for `!node-workflow` and friends). */
  registry: PluginRegistry;
  /** Named in every error location. @default '<workflow>' */
  fileName?: string;
  /** Overrides of the size, depth, alias and token limits. @default DEFAULT_YAML_LIMITS with maxTokens WORKFLOW_MAX_TOKENS */
  limits?: Partial<YamlLimits>;
}

/** The tag of core's node workflow. */
export const NODE_WORKFLOW_TAG = 'node-workflow';

const KIND_WORDS: Record<TagKind, string> = { nodeTask: 'node task', clusterTask: 'cluster task', condition: 'condition' };


function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isTaggedValue(v);
}

interface VarInfo {
  type: VariableType | undefined;
  default: unknown;
}

/**
 * Parses and validates a workflow file.
 *
 * Every problem is collected (not just the first) and thrown as one
 * `WorkflowError` whose `problems` carry `file:line:column` and a hint:
 * invalid YAML, files over the size / depth / alias limits, unknown tags
 * (with `did you mean`), unknown keys, wrong types, missing parameters,
 * undefined or ill-typed `+variable+` references, bad concurrency settings
 * and bad variable declarations. Parameters of each tag are validated with
 * the tag's zod schema, with `+name+` references replaced by the variable's
 * default (or, without one, a sample of its type) so that their types are
 * checked now; range checks on variables without a default wait for plan().
 *
 * @throws WorkflowError
 */
export function parseWorkflow(text: string, options: ParseWorkflowOptions): Workflow {
  const fileName = options.fileName ?? '<workflow>';
  const problems: WorkflowProblem[] = [];
  const tree = parseYamlTree(text, fileName, problems, 'workflow', { maxTokens: WORKFLOW_MAX_TOKENS, ...options.limits });
  if (!tree || problems.length > 0) throw new WorkflowError(problems.length > 0 ? limitProblems(problems) : [{ message: 'unreadable workflow' }]);
  const root = tree.value;
  if (!isPlainObject(root)) {
    throw new WorkflowError([
      {
        message: 'a workflow must be a YAML mapping with "name" and "cluster_tasks"',
        hint: 'start the file with "name: ..." and "cluster_tasks:"',
        location: tree.locate([]),
      },
    ]);
  }
  const checker = new WorkflowChecker(tree, options.registry, problems);
  const vars = checker.variables(root.variables);
  // Type-check with variables substituted inside cluster_tasks.
  const substituted = new Map<string, SubstitutedVariable>();
  const checkedRoot: Record<string, unknown> = { ...root };
  if ('cluster_tasks' in root) setOwn(checkedRoot, 'cluster_tasks', checker.substitute(root.cluster_tasks, ['cluster_tasks'], vars, substituted));
  if ('gates' in root) setOwn(checkedRoot, 'gates', checker.substitute(root.gates, ['gates'], vars, substituted));
  if ('finally_tasks' in root) setOwn(checkedRoot, 'finally_tasks', checker.substitute(root.finally_tasks, ['finally_tasks'], vars, substituted));
  const top = workflowFileSchema.safeParse(checkedRoot);
  if (!top.success) {
    // Problems inside `variables` entries are reported by checker.variables().
    const issues = top.error.issues.filter((i) => i.path[0] !== 'variables' || i.path.length === 1);
    problems.push(...zodProblems(issues, { tree, base: [], schema: workflowFileSchema, substituted }));
  }
  const entries = Array.isArray(checkedRoot.cluster_tasks) ? (checkedRoot.cluster_tasks as unknown[]) : [];
  entries.forEach((entry, i) => {
    if (isPlainObject(entry) && isTaggedValue(entry.task)) checker.tagged(entry.task, ['cluster_tasks', i, 'task'], 'clusterTask', substituted);
  });
  const finals = Array.isArray(checkedRoot.finally_tasks) ? (checkedRoot.finally_tasks as unknown[]) : [];
  finals.forEach((entry, i) => {
    if (!isPlainObject(entry) || !isTaggedValue(entry.task)) return;
    if (entry.task.$tag === NODE_WORKFLOW_TAG) {
      problems.push({
        message: 'finally_tasks holds cluster tasks only, not a !node-workflow',
        hint: 'clean-up runs once for the cluster when the job ends; put per-node work in a !node-workflow under cluster_tasks',
        location: entry.task.location,
        path: tree.display(['finally_tasks', i, 'task']),
      });
      return;
    }
    checker.tagged(entry.task, ['finally_tasks', i, 'task'], 'clusterTask', substituted);
  });
  const gates = Array.isArray(checkedRoot.gates) ? (checkedRoot.gates as unknown[]) : [];
  gates.forEach((entry, i) => {
    // Gates run before node tasks, so node and cluster conditions are both accepted.
    if (isPlainObject(entry) && isTaggedValue(entry.condition)) checker.tagged(entry.condition, ['gates', i, 'condition'], 'condition', substituted, 'node');
  });
  if (problems.length > 0) throw new WorkflowError(limitProblems(problems));
  return buildWorkflow(root, tree, checker.declarations, text, fileName);
}

/**
 * Reads a workflow file (UTF-8, synchronously: workflows are small) and
 * parses it with {@link parseWorkflow}; `fileName` defaults to `path`.
 * @throws WorkflowError, also when the file cannot be read
 */
export function loadWorkflowFile(path: string, options: ParseWorkflowOptions): Workflow {
  const fileName = options.fileName ?? path;
  let text: string;
  try {
    const tooBig = oversizedFileProblem(path, fileName, 'workflow', options.limits);
    if (tooBig) throw new WorkflowError([tooBig]);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof WorkflowError) throw e;
    throw new WorkflowError([{ message: `cannot read workflow file ${path}: ${(e as Error).message}`, hint: 'check the path and its permissions' }], { cause: e });
  }
  return parseWorkflow(text, { ...options, fileName });
}

class WorkflowChecker {
  readonly declarations: VariableDeclaration[] = [];

  constructor(
    private readonly tree: YamlTree,
    private readonly registry: PluginRegistry,
    private readonly problems: WorkflowProblem[],
  ) {}

  /** Checks the `variables` declarations; returns what is known of each declared name. */
  variables(raw: unknown): Map<string, VarInfo> {
    const vars = new Map<string, VarInfo>();
    if (!Array.isArray(raw)) return vars; // the top-level schema reports a wrong type
    const { tree, problems } = this;
    raw.forEach((decl, i) => {
      const path = ['variables', i];
      const r = variableDeclarationSchema.safeParse(decl);
      if (!r.success) problems.push(...zodProblems(r.error.issues, { tree, base: path, schema: variableDeclarationSchema }));
      if (!isPlainObject(decl) || typeof decl.name !== 'string') return;
      const name = decl.name;
      if (vars.has(name)) {
        problems.push({
          message: `variable "${name}" is declared twice`,
          hint: 'give each variable a distinct name',
          location: tree.locate([...path, 'name']),
          path: tree.display(path),
        });
        return;
      }
      const type = r.success ? (r.data.type as VariableType) : undefined;
      vars.set(name, { type, default: decl.default });
      if (!r.success || type === undefined) return;
      if (decl.default !== undefined && !isVariableValueOfType(type, decl.default)) {
        problems.push({
          message: `default of variable "${name}" is ${JSON.stringify(decl.default)}, which is not of type ${type}`,
          hint: `write a default of type ${type}, or change the type`,
          location: tree.locate([...path, 'default']),
          path: tree.display([...path, 'default']),
        });
        vars.set(name, { type, default: undefined });
        return;
      }
      const declaration: VariableDeclaration = { name, type, location: tree.locate(path)! };
      if (r.data.description !== undefined) declaration.description = r.data.description;
      if (decl.default !== undefined) declaration.default = decl.default as VariableDeclaration['default'];
      this.declarations.push(declaration);
    });
    return vars;
  }

  /**
   * A copy of `value` with every `+name+` replaced for type checking (the
   * default, or a sample of the type); undeclared names are reported.
   */
  substitute(value: unknown, path: (string | number)[], vars: Map<string, VarInfo>, out: Map<string, SubstitutedVariable>): unknown {
    const { tree, problems } = this;
    const undeclared = (name: string, at: TreePath) => {
      problems.push({
        message: `variable +${name}+ is not declared`,
        hint: vars.size > 0 ? suggestionHint(name, [...vars.keys()], (s) => `+${s}+`) : `declare it under "variables:" (name: ${name}, type: ...)`,
        location: tree.locate(at),
        path: tree.display(at),
      });
    };
    if (typeof value === 'string') {
      const whole = wholeVariableRef(value);
      if (whole !== undefined) {
        const info = vars.get(whole);
        if (!info) {
          undeclared(whole, path);
          out.set(JSON.stringify(path), { name: whole, type: 'unknown', sampled: true, value, ignore: true });
          return value;
        }
        if (path.includes('retry_backoff')) {
          problems.push({
            message: `variable +${whole}+ cannot be used in retry_backoff`,
            hint: 'write the retry_backoff numbers directly',
            location: tree.locate(path),
            path: tree.display(path),
          });
          out.set(JSON.stringify(path), { name: whole, type: 'unknown', sampled: true, value, ignore: true });
          return value;
        }
        if (!info.type) {
          // its declaration is reported already
          out.set(JSON.stringify(path), { name: whole, type: 'unknown', sampled: true, value, ignore: true });
          return value;
        }
        const sampled = info.default === undefined;
        const v = sampled ? sampleValue(info.type) : info.default;
        out.set(JSON.stringify(path), { name: whole, type: info.type, sampled, value: v });
        return v;
      }
      const refs = variableRefs(value);
      if (refs.length === 0) return value;
      for (const name of refs) if (!vars.has(name)) undeclared(name, path);
      const sample = value.replace(/\+([A-Za-z_][A-Za-z0-9_]*)\+/g, 'x');
      out.set(JSON.stringify(path), { name: refs[0]!, type: 'string', sampled: true, value: sample, interpolated: true });
      return sample;
    }
    if (Array.isArray(value)) return value.map((v, i) => this.substitute(v, [...path, i], vars, out));
    if (isTaggedValue(value)) {
      const tv: TaggedValue = { $tag: value.$tag, value: this.substitute(value.value, [...path, 'value'], vars, out), location: value.location };
      return tv;
    }
    if (isPlainObject(value)) {
      const copy: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) setOwn(copy, k, this.substitute(v, [...path, k], vars, out));
      return copy;
    }
    return value;
  }

  #unknownTag(tv: TaggedValue, path: TreePath, kind: TagKind): void {
    const other = (['nodeTask', 'clusterTask', 'condition'] as const).filter((k) => k !== kind && this.registry.lookup(k, tv.$tag));
    let message: string;
    let hint: string;
    if (other.length > 0) {
      message = `!${tv.$tag} is a ${other.map((k) => KIND_WORDS[k]).join(' and a ')}, not a ${KIND_WORDS[kind]}`;
      if (kind === 'clusterTask' && other.includes('nodeTask')) hint = 'node tasks run on each node: put it in the node_tasks of a !node-workflow';
      else if (kind === 'nodeTask' && other.includes('clusterTask')) hint = 'cluster tasks go directly under cluster_tasks, not inside node_tasks';
      else if (other.includes('condition')) hint = 'to wait for a condition, use !wait-for-conditions {conditions: [{condition: !' + tv.$tag + '}]}';
      else hint = `use a ${KIND_WORDS[kind]} here`;
    } else {
      message = `unknown ${KIND_WORDS[kind]} tag !${tv.$tag}`;
      const candidates = this.registry
        .tags(kind)
        .map((t) => t.tag)
        .sort();
      hint = candidates.length > 0 ? suggestionHint(tv.$tag, candidates, (s) => `!${s}`) : `no ${KIND_WORDS[kind]} tags are registered`;
      if (!hint.startsWith('did you mean')) hint += '; is the plugin that provides it registered?';
    }
    this.problems.push({ message, hint, location: tv.location, path: this.tree.display(path) });
  }

  /** Validates one tagged task or condition (and what it nests). `scope`: where a condition is checked. */
  tagged(tv: TaggedValue, path: (string | number)[], kind: TagKind, substituted: Map<string, SubstitutedVariable>, scope: 'node' | 'cluster' = 'node'): void {
    const reg = this.registry.lookup(kind, tv.$tag);
    if (!reg) {
      this.#unknownTag(tv, path, kind);
      return;
    }
    if (kind === 'condition' && scope === 'cluster' && (reg.definition as { scope?: string }).scope === 'node') {
      this.problems.push({
        message: `condition !${tv.$tag} checks one node, but this !wait-for-conditions runs at cluster level`,
        hint: 'wait for it inside a !node-workflow (in its node_tasks), or use a cluster condition here',
        location: tv.location,
        path: this.tree.display(path),
      });
      return;
    }
    const params = tv.value ?? {};
    const schema = reg.definition.params as z.ZodType;
    const r = schema.safeParse(params);
    const zctx = { tree: this.tree, base: [...path, 'value'], schema, subject: `!${tv.$tag}`, substituted };
    if (!r.success) this.problems.push(...zodProblems(r.error.issues, zctx));
    this.problems.push(...strippedKeyProblems(params, zctx));
    if (kind === 'clusterTask' && tv.$tag === NODE_WORKFLOW_TAG) {
      const nodeTasks = isPlainObject(params) && Array.isArray(params.node_tasks) ? params.node_tasks : [];
      nodeTasks.forEach((entry, j) => {
        if (isPlainObject(entry) && isTaggedValue(entry.task)) this.tagged(entry.task, [...path, 'value', 'node_tasks', j, 'task'], 'nodeTask', substituted);
      });
      return;
    }
    if (kind === 'condition') return;
    // Tagged values nested in a task's parameters are conditions.
    const conditionScope = kind === 'clusterTask' ? 'cluster' : 'node';
    const visit = (v: unknown, p: (string | number)[]) => {
      if (isTaggedValue(v)) {
        this.tagged(v, p, 'condition', substituted, conditionScope);
        return;
      }
      if (Array.isArray(v)) v.forEach((x, i) => visit(x, [...p, i]));
      else if (isPlainObject(v)) for (const [k, x] of Object.entries(v)) visit(x, [...p, k]);
    };
    visit(params, [...path, 'value']);
  }
}

function retryBackoffOf(raw: unknown): Partial<RetryBackoff> | undefined {
  if (!isPlainObject(raw)) return undefined;
  const out: Partial<RetryBackoff> = {};
  if (typeof raw.initial_seconds === 'number') out.initialSeconds = raw.initial_seconds;
  if (typeof raw.multiplier === 'number') out.multiplier = raw.multiplier;
  if (typeof raw.max_seconds === 'number') out.maxSeconds = raw.max_seconds;
  return out;
}

/** Builds a {@link TaskEntry} from a validated `{task: !tag, retries, ...}` mapping of the plain tree. */
function taskEntryOf(raw: Record<string, unknown>, location: SourceLocation): TaskEntry {
  const tv = raw.task as TaggedValue;
  const entry: TaskEntry = { tag: tv.$tag, params: tv.value ?? {}, location: tv.location ?? location };
  if (raw.retries !== undefined) entry.retries = raw.retries as number | string;
  const backoff = retryBackoffOf(raw.retry_backoff);
  if (backoff) entry.retryBackoff = backoff;
  if (raw.timeout_seconds !== undefined) entry.timeoutSeconds = raw.timeout_seconds as number | string;
  if (raw.abandon_grace_seconds !== undefined) entry.abandonGraceSeconds = raw.abandon_grace_seconds as number | string;
  if (tv.$tag === NODE_WORKFLOW_TAG && isPlainObject(entry.params) && Array.isArray(entry.params.node_tasks)) {
    entry.nodeTasks = (entry.params.node_tasks as Record<string, unknown>[]).map((n) => taskEntryOf(n, (n.task as TaggedValue).location));
  }
  return entry;
}

function buildWorkflow(root: Record<string, unknown>, tree: YamlTree, variables: VariableDeclaration[], text: string, fileName: string): Workflow {
  const defaults: Partial<NodeWorkflowSettings> = {};
  const d = root.node_workflow_defaults;
  if (isPlainObject(d)) {
    if (d.concurrency_unit !== undefined) defaults.concurrencyUnit = d.concurrency_unit as NodeWorkflowSettings['concurrencyUnit'];
    if (d.concurrency_limit !== undefined) defaults.concurrencyLimit = d.concurrency_limit as number;
    if (d.abort_on_first_failure !== undefined) defaults.abortOnFirstFailure = d.abort_on_first_failure as boolean;
  }
  const gates: GateEntry[] = Array.isArray(root.gates)
    ? (root.gates as Record<string, unknown>[]).map((g, i) => {
        const gate: GateEntry = { condition: g.condition as TaggedValue, location: tree.locate(['gates', i])! };
        if (g.success_window_seconds !== undefined) gate.successWindowSeconds = g.success_window_seconds as number | string;
        if (g.poll_interval_seconds !== undefined) gate.pollIntervalSeconds = g.poll_interval_seconds as number | string;
        if (g.timeout_seconds !== undefined) gate.timeoutSeconds = g.timeout_seconds as number | string;
        if (g.stall_timeout_seconds !== undefined) gate.stallTimeoutSeconds = g.stall_timeout_seconds as number | string;
        return gate;
      })
    : [];
  const wf: Workflow = {
    name: root.name as string,
    variables,
    nodeWorkflowDefaults: defaults,
    gates,
    finallyTasks: Array.isArray(root.finally_tasks) ? (root.finally_tasks as Record<string, unknown>[]).map((e, i) => taskEntryOf(e, tree.locate(['finally_tasks', i])!)) : [],
    clusterTasks: (root.cluster_tasks as Record<string, unknown>[]).map((e, i) => taskEntryOf(e, tree.locate(['cluster_tasks', i])!)),
    source: { fileName, text },
  };
  if (typeof root.description === 'string') wf.description = root.description;
  if (isPlainObject(root.maintenance_window)) {
    const w = root.maintenance_window;
    wf.maintenanceWindow = { schedule: w.schedule as string, ...(typeof w.timezone === 'string' ? { timezone: w.timezone } : {}) };
  }
  return wf;
}
