/** A resolved variable value. */
export type VariableValue = string | number | boolean | string[];

/** What a task knows of the job it runs in. */
export interface JobInfo {
  /** The job's id. */
  id: string;
  /** Who started the job (CLI `--operator`, default the OS user). */
  operator: string;
  /** The workflow's variables, resolved and typed. */
  variables: Readonly<Record<string, VariableValue>>;
  /** The workflow's name. */
  workflowName: string;
  /**
   * Ids of the nodes this job has taken, or is taking, down: from the moment
   * a node's first disruptive task passed its preconditions until a task that
   * restores it succeeded (see `NodeTaskAvailability`). A live view: read it at
   * check time. Conditions that reason about liveness count these nodes as
   * down whatever the cluster's own view says (peers may not have noticed
   * yet). Absent outside the engine (e.g. a hand-built context): none.
   */
  disruptedNodes?: ReadonlySet<string>;
}
