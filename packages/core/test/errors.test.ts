import { copyFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import * as core from '@scylla-cp/core';

/**
 * A second, independent copy of core's error classes: the sources of
 * src/errors are copied to a temporary directory and imported from there, as
 * a plugin that bundles its own copy of core would load them.
 */
async function secondCopy(): Promise<typeof import('../src/errors/input-errors.js') & typeof import('../src/errors/task-errors.js') & typeof import('../src/errors/classify-error.js')> {
  const src = fileURLToPath(new URL('../src/errors/', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'scp-core-copy-'));
  for (const f of readdirSync(src)) copyFileSync(join(src, f), join(dir, f));
  const load = (f: string) => import(/* @vite-ignore */ join(dir, f));
  return { ...(await load('input-errors.ts')), ...(await load('task-errors.ts')), ...(await load('classify-error.ts')) };
}

describe('errors across two copies of core', () => {
  test('instanceof works both ways by kind, and the classes really are distinct', async () => {
    const other = await secondCopy();
    expect(other.WorkflowError).not.toBe(core.WorkflowError);
    expect(other.RecoverableError).not.toBe(core.RecoverableError);

    const wf = new other.WorkflowError([{ message: 'bad', location: { file: 'f', line: 1, column: 2 } }]);
    expect(wf).toBeInstanceOf(core.WorkflowError);
    expect(wf).toBeInstanceOf(core.ScyllaCpError);
    expect(wf).not.toBeInstanceOf(core.InvalidInputError);
    expect(wf.message).toBe('invalid workflow: 1 problem\n  f:1:2: bad');

    const rec = new other.RecoverableError('flaky');
    expect(rec).toBeInstanceOf(core.RecoverableError);
    expect(rec).not.toBeInstanceOf(core.UnrecoverableError);
    expect(core.classifyError(rec)).toBe('recoverable');

    const timeout = new other.ConditionTimeoutError({ condition: 'c', timeoutSeconds: 1, lastDetail: 'd', polls: 1 });
    expect(timeout).toBeInstanceOf(core.UnrecoverableError);
    expect(timeout).toBeInstanceOf(core.ConditionTimeoutError);
    expect(core.classifyError(timeout)).toBe('unrecoverable');

    const mine = new core.InvalidInputError('x', { code: 'UNKNOWN_NODE' });
    expect(mine).toBeInstanceOf(other.InvalidInputError);
    expect(other.classifyError(new core.RecoverableError('r'))).toBe('recoverable');
    expect(new Error('plain')).not.toBeInstanceOf(core.ScyllaCpError);
  });

  test('errors thrown by the workflow loaders are kinds that survive copies', async () => {
    const other = await secondCopy();
    let err: unknown;
    try {
      core.parseInventory('name: c\nnodes: []\n');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(core.InventoryError);
    expect(err).toBeInstanceOf(other.WorkflowError);
    expect(core.isErrorKind(err, 'InventoryError')).toBe(true);
    expect((err as Error).name).toBe('InventoryError');
  });
});
