import { describe, expect, test } from 'vitest';
import { formatPlan, MaintenanceWindow, parseInventory, parseWorkflow, plan, Prng, WorkflowError } from '@scylla-cp/core';
import { standInRegistry } from './workflow-fixtures.js';

const SEED = process.env.SEED ? Number(process.env.SEED) : Date.now() % 2 ** 31;
console.log(`maintenance-window properties: SEED=${SEED}`);
const at = (iso: string) => Date.parse(iso);
const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());

describe('MaintenanceWindow (issue 15: maintenance windows)', () => {
  const office = new MaintenanceWindow({ schedule: 'Mon-Fri 09:00-17:00', timezone: 'Europe/Paris' });

  test('wall-clock hours in the zone, weekdays only', () => {
    // Friday 2026-12-04, Paris is UTC+1 in winter.
    expect(office.isOpen(at('2026-12-04T07:59:00Z'))).toBe(false);
    expect(iso(office.nextOpen(at('2026-12-04T07:59:00Z')))).toBe('2026-12-04T08:00:00.000Z');
    expect(office.isOpen(at('2026-12-04T15:59:59Z'))).toBe(true);
    expect(iso(office.closesAt(at('2026-12-04T15:59:59Z')))).toBe('2026-12-04T16:00:00.000Z');
    expect(office.isOpen(at('2026-12-04T16:00:00Z'))).toBe(false);
    expect(office.closesAt(at('2026-12-04T16:00:00Z'))).toBeUndefined();
    expect(iso(office.nextOpen(at('2026-12-04T16:00:00Z')))).toBe('2026-12-07T08:00:00.000Z');
    expect(office.toString()).toBe('Mon-Fri 09:00-17:00 (Europe/Paris)');
  });

  test('overnight windows, several rules, daily, 24:00', () => {
    const w = new MaintenanceWindow({ schedule: 'Fri 22:00-06:00; Sun 00:00-24:00' });
    expect(w.isOpen(at('2026-12-05T05:00:00Z'))).toBe(true); // Saturday morning, from Friday night
    expect(iso(w.closesAt(at('2026-12-05T05:00:00Z')))).toBe('2026-12-05T06:00:00.000Z');
    expect(iso(w.nextOpen(at('2026-12-05T06:00:00Z')))).toBe('2026-12-06T00:00:00.000Z');
    expect(iso(w.closesAt(at('2026-12-06T12:00:00Z')))).toBe('2026-12-07T00:00:00.000Z');
    const nightly = new MaintenanceWindow({ schedule: 'daily 01:00-05:00', timezone: 'America/New_York' });
    expect(iso(nightly.nextOpen(at('2026-12-04T12:00:00Z')))).toBe('2026-12-05T06:00:00.000Z');
  });

  test('daylight saving: a start in the skipped hour moves forward by the gap; the repeated hour counts once', () => {
    // Paris, 2026-03-29: 02:00 jumps to 03:00 (UTC+1 to UTC+2); 02:30 does not exist and is read as 03:30.
    const w = new MaintenanceWindow({ schedule: 'daily 02:30-04:00', timezone: 'Europe/Paris' });
    expect(iso(w.nextOpen(at('2026-03-28T23:00:00Z')))).toBe('2026-03-29T01:30:00.000Z');
    expect(iso(w.closesAt(at('2026-03-29T01:30:00Z')))).toBe('2026-03-29T02:00:00.000Z');
    // 2026-10-25: 03:00 goes back to 02:00, so 01:00-05:00 local lasts five hours.
    const fall = new MaintenanceWindow({ schedule: 'Sun 01:00-05:00', timezone: 'Europe/Paris' });
    const open = fall.nextOpen(at('2026-10-24T12:00:00Z'));
    expect(iso(open)).toBe('2026-10-24T23:00:00.000Z');
    expect(fall.closesAt(open)! - open).toBe(5 * 3_600_000);
  });

  test('daylight saving west of UTC: a window that ends in the skipped hour still opens, and a start in it moves forward (SEED=37 found it)', () => {
    // New York, 2026-03-08: 02:00 EST jumps to 03:00 EDT. 01:00-02:00 local is 06:00Z-07:00Z (02:00 is read as 03:00).
    const w = new MaintenanceWindow({ schedule: 'daily 01:00-02:00', timezone: 'America/New_York' });
    const open = w.nextOpen(at('2026-03-07T12:07:00Z'));
    expect(iso(open)).toBe('2026-03-08T06:00:00.000Z');
    expect(w.isOpen(open)).toBe(true);
    expect(iso(w.closesAt(open))).toBe('2026-03-08T07:00:00.000Z');
    // 02:30 does not exist that day and is read as 03:30 EDT (07:30Z).
    const late = new MaintenanceWindow({ schedule: 'Sun 02:30-04:00', timezone: 'America/New_York' });
    expect(iso(late.nextOpen(at('2026-03-07T12:00:00Z')))).toBe('2026-03-08T07:30:00.000Z');
    // Fall back, 2026-11-01: 01:30 happens twice; the window opens at the first (EDT, 05:30Z).
    const fall = new MaintenanceWindow({ schedule: 'Sun 01:30-03:00', timezone: 'America/New_York' });
    expect(iso(fall.nextOpen(at('2026-10-31T12:00:00Z')))).toBe('2026-11-01T05:30:00.000Z');
    expect(iso(fall.closesAt(at('2026-11-01T05:30:00Z')))).toBe('2026-11-01T08:00:00.000Z');
  });

  test('bad schedules and zones are clear errors', () => {
    const bad = (schedule: string, timezone?: string) => () => new MaintenanceWindow(timezone ? { schedule, timezone } : { schedule });
    expect(bad('Mon-Fri 9-17')).toThrow(/"9" is not HH:MM/);
    expect(bad('Mon-Fry 09:00-17:00')).toThrow(/"mon-fry" is not a day or a range of days/);
    expect(bad('Mon-Fri 09:00-25:00')).toThrow(/end time "25:00" is not HH:MM/);
    expect(bad('weekdays')).toThrow(/write <days> <HH:MM>-<HH:MM>/);
    expect(bad('')).toThrow(/the schedule is empty/);
    expect(bad('daily 00:00-01:00', 'Europe/Pariss')).toThrow(expect.objectContaining({ code: 'INVALID_TIMEZONE' }));
  });

  test('property: nextOpen is open and nothing before it is; closesAt is the first closed instant (SEED printed)', () => {
    const prng = new Prng(SEED);
    const zones = ['UTC', 'Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata'];
    const schedules = ['Mon-Fri 09:00-17:00', 'Sat,Sun 22:30-03:15', 'daily 01:00-02:00; Wed 12:00-12:30', 'Tue 00:00-24:00'];
    for (let i = 0; i < 60; i++) {
      const w = new MaintenanceWindow({ schedule: schedules[prng.nextUint32() % schedules.length]!, timezone: zones[prng.nextUint32() % zones.length]! });
      const t = at('2026-01-01T00:00:00Z') + (prng.nextUint32() % (365 * 24 * 60)) * 60_000;
      const next = w.nextOpen(t);
      expect(next, `SEED=${SEED} ${w} at ${iso(t)}`).toBeGreaterThanOrEqual(t);
      expect(w.isOpen(next)).toBe(true);
      for (let s = t; s < next; s += 15 * 60_000) expect(w.isOpen(s), `SEED=${SEED} ${w} ${iso(s)}`).toBe(false);
      const close = w.closesAt(next)!;
      expect(close).toBeGreaterThan(next);
      expect(w.isOpen(close)).toBe(false);
      expect(w.isOpen(close - 1)).toBe(true);
    }
  });
});

describe('maintenance_window in the workflow language and the plan', () => {
  const registry = standInRegistry();
  const inventory = parseInventory('name: c\nnodes:\n  - {id: n1, address: 10.0.0.1, dc: d, rack: r}\n');
  const wf = (window: string) =>
    `name: w\n${window}cluster_tasks:\n  - task: !node-workflow {name: r, node_tasks: [{task: !scylla-drain}]}\n`;

  test('carried onto the plan (timezone default UTC), shown by plan, replaced by the planner option', () => {
    const p = plan(parseWorkflow(wf("maintenance_window: {schedule: 'Mon-Fri 09:00-17:00', timezone: Europe/Paris}\n"), { registry }), inventory, {}, {}, { registry });
    expect(p.maintenanceWindow).toEqual({ schedule: 'Mon-Fri 09:00-17:00', timezone: 'Europe/Paris' });
    expect(formatPlan(p)).toContain('Maintenance window: Mon-Fri 09:00-17:00 (Europe/Paris); no node starts outside it');
    const q = plan(parseWorkflow(wf(''), { registry }), inventory, {}, {}, { registry, maintenanceWindow: { schedule: 'daily 01:00-05:00' } });
    expect(q.maintenanceWindow).toEqual({ schedule: 'daily 01:00-05:00', timezone: 'UTC' });
    expect(plan(parseWorkflow(wf(''), { registry }), inventory, {}, {}, { registry }).maintenanceWindow).toBeUndefined();
    expect(() => plan(parseWorkflow(wf(''), { registry }), inventory, {}, {}, { registry, maintenanceWindow: { schedule: 'Mon 9-5' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_WINDOW' }),
    );
  });

  test('a bad schedule or zone is an error at its key', () => {
    try {
      parseWorkflow(wf('maintenance_window:\n  schedule: Mon-Fri 09:00-17:00\n  timezone: Europe/Pariss\n'), { registry, fileName: 'w.yaml' });
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(WorkflowError);
      expect((e as WorkflowError).problems.map((p) => `${p.location?.line}:${p.location?.column} ${p.message}`)).toEqual([
        '4:13 maintenance_window.timezone: maintenance window: unknown time zone "Europe/Pariss"; use an IANA name such as Europe/Paris or UTC',
      ]);
    }
    expect(() => parseWorkflow(wf('maintenance_window: {schedule: Weekdays}\n'), { registry })).toThrow(/maintenance_window\.schedule: maintenance window "Weekdays": write <days>/);
  });
});
