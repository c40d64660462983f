import { formatProblem, InvalidInputError } from '../errors/input-errors.js';
import type { TaskEntry } from '../workflow/workflow.js';

/** `file:line:column` of a task entry, for planner messages. @internal */
export function where(entry: TaskEntry): string {
  return formatProblem({ message: '', location: entry.location }).replace(/: $/, '');
}

/** An `INVALID_PARAMS` error at a task entry, for values that break a rule once variables are substituted. @internal */
export function paramsError(entry: TaskEntry, what: string, detail: string): InvalidInputError {
  return new InvalidInputError(`${where(entry)}: !${entry.tag}: ${what}: ${detail}; check the variable values given for this job`, {
    code: 'INVALID_PARAMS',
    details: { tag: entry.tag, location: entry.location },
  });
}
