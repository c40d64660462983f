import { ScyllaCpError, type ScyllaCpErrorOptions } from './scylla-cp-error.js';

/** Where a problem is in a source file. Lines and columns are 1-based. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** One problem found in a workflow or inventory file. */
export interface WorkflowProblem {
  /** What is wrong, e.g. `unknown key "retrys"`. */
  message: string;
  /** How to fix it, e.g. `did you mean "retries"?`. */
  hint?: string;
  /** Where it is; absent only when the file as a whole is at fault (e.g. too large). */
  location?: SourceLocation;
  /** Dotted path of the value in the document, e.g. `cluster_tasks[0].task.node_tasks[1]`. */
  path?: string;
}

/** Formats one problem as `file:line:column: message (hint)`. */
export function formatProblem(p: WorkflowProblem): string {
  const where = p.location ? `${p.location.file}:${p.location.line}:${p.location.column}: ` : '';
  return `${where}${p.message}${p.hint ? ` (hint: ${p.hint})` : ''}`;
}

/**
 * A workflow (or inventory) file is invalid. `problems` lists every problem
 * found, each with its location and a hint; the message lists them all.
 */
export class WorkflowError extends ScyllaCpError {
  static override readonly kind: string = 'WorkflowError';
  readonly problems: readonly WorkflowProblem[];

  constructor(problems: readonly WorkflowProblem[], options: ScyllaCpErrorOptions = {}) {
    const head = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`invalid workflow: ${head}\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`, {
      code: 'INVALID_WORKFLOW',
      ...options,
      details: { problems: problems as unknown as Record<string, unknown>[] },
    });
    this.problems = problems;
  }
}

/**
 * Invalid input other than a workflow file: a bad inventory, an unknown
 * variable, an empty or unknown targeting selection, a bad option value.
 * `code` says which (e.g. `UNKNOWN_VARIABLE`, `EMPTY_SELECTION`).
 */
export class InvalidInputError extends ScyllaCpError {
  static override readonly kind: string = 'InvalidInputError';
  constructor(message: string, options: ScyllaCpErrorOptions = {}) {
    super(message, { code: 'INVALID_INPUT', ...options });
  }
}

/** A plugin failed registration checks (shape, core version, duplicate tag). */
export class PluginError extends ScyllaCpError {
  static override readonly kind: string = 'PluginError';
  constructor(message: string, options: ScyllaCpErrorOptions = {}) {
    super(message, { code: 'PLUGIN_ERROR', ...options });
  }
}
