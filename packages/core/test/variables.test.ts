import { describe, expect, test } from 'vitest';
import {
  coerceVariableValue,
  InvalidInputError,
  parseWorkflow,
  resolveVariables,
  substituteVariables,
  variableRefs,
  wholeVariableRef,
  WorkflowError,
  type Workflow,
} from '@scylla-cp/core';
import { standInRegistry } from './workflow-fixtures.js';

const registry = standInRegistry();

const WF = `name: vars
variables:
  - {name: ks, type: string, description: keyspace to repair}
  - {name: par, type: integer, default: 2}
  - {name: ratio, type: number, default: 0.5}
  - {name: dry, type: boolean, default: false}
  - {name: tables, type: string_list, default: [a, b]}
cluster_tasks:
  - task: !scylla-repair {keyspace: +ks+, parallel: +par+, dry_run: +dry+}
`;

function thrown(fn: () => unknown): InvalidInputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidInputError);
    return e as InvalidInputError;
  }
  throw new Error('expected InvalidInputError');
}

describe('reference syntax', () => {
  test('whole-scalar and embedded references', () => {
    expect(wholeVariableRef('+ks+')).toBe('ks');
    expect(wholeVariableRef(' +ks+')).toBeUndefined();
    expect(wholeVariableRef('+1ks+')).toBeUndefined();
    expect(variableRefs('a-+x+-+y_2+')).toEqual(['x', 'y_2']);
    expect(variableRefs('c++ and 1+2')).toEqual([]);
  });
});

describe('resolveVariables', () => {
  const wf: Workflow = parseWorkflow(WF, { registry });

  test('declared variables are recorded with their types and defaults', () => {
    expect(wf.variables.map((v) => [v.name, v.type, v.default])).toEqual([
      ['ks', 'string', undefined],
      ['par', 'integer', 2],
      ['ratio', 'number', 0.5],
      ['dry', 'boolean', false],
      ['tables', 'string_list', ['a', 'b']],
    ]);
    expect(wf.variables[0]!.description).toBe('keyspace to repair');
  });

  test('defaults fill in, CLI strings are coerced by type', () => {
    expect(resolveVariables(wf, { ks: 'k1' })).toEqual({ ks: 'k1', par: 2, ratio: 0.5, dry: false, tables: ['a', 'b'] });
    expect(resolveVariables(wf, { ks: 'k1', par: '7', ratio: '1e-3', dry: 'TRUE', tables: ' x, y ,,z ' })).toEqual({
      ks: 'k1',
      par: 7,
      ratio: 0.001,
      dry: true,
      tables: ['x', 'y', 'z'],
    });
    expect(resolveVariables(wf, { ks: 'k1', par: 3, dry: true, tables: ['q'] })).toMatchObject({ par: 3, dry: true, tables: ['q'] });
  });

  test('a required variable that is not given: MISSING_VARIABLE with how to pass it', () => {
    const e = thrown(() => resolveVariables(wf, {}));
    expect(e.code).toBe('MISSING_VARIABLE');
    expect(e.message).toBe('variable "ks" (string: keyspace to repair) is required; pass it, e.g. --var ks=<any text>');
  });

  test('an undeclared name: UNKNOWN_VARIABLE with did-you-mean', () => {
    const e = thrown(() => resolveVariables(wf, { ks: 'a', pars: '3' }));
    expect(e.code).toBe('UNKNOWN_VARIABLE');
    expect(e.message).toBe('variable "pars" is not declared by workflow "vars"; did you mean "par"?');
  });

  test('values that do not fit the type: INVALID_VARIABLE', () => {
    for (const [name, value, expected] of [
      ['par', '2.5', 'variable "par" must be a whole number such as 90 (type integer), got "2.5"'],
      ['par', 'ten', 'variable "par" must be a whole number such as 90 (type integer), got "ten"'],
      ['par', 1.5, 'variable "par" must be a whole number such as 90 (type integer), got 1.5'],
      ['ratio', 'NaN', 'variable "ratio" must be a number such as 1.5 (type number), got "NaN"'],
      ['dry', 'yes', 'variable "dry" must be "true" or "false" (type boolean), got "yes"'],
      ['ks', 5, 'variable "ks" must be any text (type string), got 5'],
      ['tables', [1], 'variable "tables" must be comma-separated text such as "a,b,c" (type string_list), got [1]'],
    ] as const) {
      const e = thrown(() => resolveVariables(wf, { ks: 'k', [name]: value } as Record<string, string>));
      expect(e.code).toBe('INVALID_VARIABLE');
      expect(e.message).toBe(expected);
    }
  });

  test('several problems are listed together, the code is the first one', () => {
    const e = thrown(() => resolveVariables(wf, { nope: '1', par: 'x' }));
    expect(e.code).toBe('UNKNOWN_VARIABLE');
    expect((e.details.problems as { code: string }[]).map((p) => p.code)).toEqual(['UNKNOWN_VARIABLE', 'MISSING_VARIABLE', 'INVALID_VARIABLE']);
  });

  test('coerceVariableValue edge cases', () => {
    expect(coerceVariableValue('integer', '-12')).toBe(-12);
    expect(coerceVariableValue('integer', '99999999999999999999')).toBeUndefined();
    expect(coerceVariableValue('number', '')).toBeUndefined();
    expect(coerceVariableValue('number', 'Infinity')).toBeUndefined();
    expect(coerceVariableValue('string', '  keep spaces ')).toBe('  keep spaces ');
    expect(coerceVariableValue('string_list', '')).toEqual([]);
  });
});

describe('substitution', () => {
  test('a whole scalar takes the typed value; embedded references are interpolated', () => {
    const vars = { n: 5, s: 'ks', l: ['a', 'b'], b: false };
    expect(
      substituteVariables({ a: '+n+', b: 'x-+n+-+s+', c: ['+l+', '+b+'], d: 'list=+l+', e: { $tag: 'node-up', value: { k: '+s+' }, location: { file: 'f', line: 1, column: 1 } } }, vars),
    ).toEqual({ a: 5, b: 'x-5-ks', c: [['a', 'b'], false], d: 'list=a,b', e: { $tag: 'node-up', value: { k: 'ks' } } });
  });

  test('an unknown name throws UNKNOWN_VARIABLE', () => {
    expect(() => substituteVariables('+x+', {})).toThrow(expect.objectContaining({ code: 'UNKNOWN_VARIABLE' }));
  });
});

describe('parse-time type checks of references', () => {
  function messages(text: string): string[] {
    try {
      parseWorkflow(text, { registry, fileName: 'v.yaml' });
    } catch (e) {
      expect(e).toBeInstanceOf(WorkflowError);
      return (e as WorkflowError).problems.map((p) => `${p.location!.line}:${p.location!.column} ${p.message}`);
    }
    return [];
  }
  const head = `name: w
variables:
  - {name: s, type: string}
  - {name: i, type: integer}
  - {name: big, type: integer, default: 40}
  - {name: l, type: string_list}
  - {name: f, type: number}
cluster_tasks:
`;

  test('a compatible reference is accepted (range checks wait for the real value)', () => {
    expect(messages(`${head}  - task: !scylla-repair {keyspace: +s+, parallel: +i+}\n    retries: +i+\n    timeout_seconds: +f+\n`)).toEqual([]);
    expect(messages(`${head}  - task: !node-workflow {name: +s+, concurrency_limit: +i+, node_tasks: [{task: !scylla-flush {tables: +l+}}]}\n`)).toEqual([]);
    expect(messages(`${head}  - task: !scylla-repair {keyspace: "ks_+i+_+l+"}\n`)).toEqual([]);
  });

  test('an incompatible whole reference is reported where it is used', () => {
    expect(messages(`${head}  - task: !scylla-repair {keyspace: +i+, parallel: +s+}\n    retries: +l+\n`)).toEqual([
      '9:37 !scylla-repair: variable +i+ (type integer) cannot be used at keyspace: expected a string',
      '9:52 !scylla-repair: variable +s+ (type string) cannot be used at parallel: expected a number',
      '10:14 variable +l+ (type string_list) cannot be used at cluster_tasks[0].retries: expected a number',
    ]);
    expect(messages(`${head}  - task: !scylla-repair {keyspace: k, parallel: +f+}\n`)).toEqual([
      '9:50 !scylla-repair: variable +f+ (type number) cannot be used at parallel: expected an integer',
    ]);
  });

  test('a default that breaks a range check is reported', () => {
    expect(messages(`${head}  - task: !scylla-repair {keyspace: k, parallel: +big+}\n`)).toEqual([
      '9:50 !scylla-repair: default 40 of variable +big+ is not valid at parallel: Too big: expected number to be <=16',
    ]);
  });

  test('variables are not allowed in retry_backoff', () => {
    expect(messages(`${head}  - task: !sleep {seconds: 1}\n    retry_backoff: {initial_seconds: +i+}\n`)).toEqual([
      '10:38 variable +i+ cannot be used in retry_backoff',
    ]);
  });
});

describe('parse-time checks of interpolated strings and misplaced references', () => {
  function messages(text: string): string[] {
    try {
      parseWorkflow(text, { registry, fileName: 'v.yaml' });
    } catch (e) {
      return (e as WorkflowError).problems.map((p) => `${p.location!.line}:${p.location!.column} ${p.message} | ${p.hint}`);
    }
    return [];
  }

  test('an interpolated string defers value checks but still fails where a number is needed', () => {
    const head = 'name: w\nvariables: [{name: s, type: string}]\ncluster_tasks:\n';
    // min(1) on the name would pass or fail depending on the value: deferred to plan().
    expect(messages(`${head}  - task: !node-workflow {name: "+s+", node_tasks: [{task: !systemd-start-service {service: "unit-+s+"}}]}\n`)).toEqual([]);
    expect(messages(`${head}  - task: !scylla-repair {keyspace: k, parallel: "+s+0"}\n`)).toEqual([
      '4:50 !scylla-repair: parallel: expected a number, got the string "+s+0" | write a number here',
    ]);
  });

  test('a reference outside cluster_tasks gets a hint that says so', () => {
    expect(messages('name: w\nvariables: [{name: n, type: integer, default: 2}]\nnode_workflow_defaults: {concurrency_limit: +n+}\ncluster_tasks:\n  - task: !sleep {seconds: 1}\n')).toEqual([
      '3:45 node_workflow_defaults.concurrency_limit: expected a number, got the string "+n+" | +variables+ are replaced only inside cluster_tasks (not in retry_backoff); write the value here',
    ]);
  });

  test('a bare tag in a task list gets a hint showing the entry syntax', () => {
    expect(messages('name: w\ncluster_tasks:\n  - !sleep {seconds: 1}\n')).toEqual([
      '3:5 cluster_tasks[0]: expected a mapping, got a tagged value !sleep | a task entry is a mapping: write "- task: !sleep"',
    ]);
  });
});
