import { InvalidInputError } from '../errors/input-errors.js';

/** A maintenance window as written: `schedule` in `timezone`. */
export interface MaintenanceWindowSpec {
  /**
   * One or more `<days> <HH:MM>-<HH:MM>` joined by `;`: days are `Mon-Fri`,
   * `Sat,Sun`, `Mon,Wed-Fri` or `daily`; times are local wall-clock times in
   * `timezone`, the end exclusive; an end at or before the start runs past
   * midnight into the next day (`Fri 22:00-06:00`); `24:00` is the end of the
   * day. E.g. `Mon-Fri 09:00-17:00; Sat 10:00-12:00`.
   */
  schedule: string;
  /** IANA time zone (`Europe/Paris`). @default 'UTC' */
  timezone?: string;
}

interface Rule {
  /** Weekdays the window opens on, 0 = Sunday. */
  days: Set<number>;
  /** Minutes after local midnight. */
  start: number;
  /** Minutes after local midnight of the opening day (may exceed 1440 for an overnight window). */
  end: number;
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

function parseTime(text: string, what: string, whole: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  const h = m ? Number(m[1]) : NaN;
  const min = m ? Number(m[2]) : NaN;
  if (!m || min > 59 || h > 24 || (h === 24 && min !== 0)) {
    throw new InvalidInputError(`maintenance window "${whole}": ${what} time "${text}" is not HH:MM (00:00 to 24:00)`, { code: 'INVALID_WINDOW' });
  }
  return h * 60 + min;
}

function parseDays(text: string, whole: string): Set<number> {
  const out = new Set<number>();
  const lower = text.toLowerCase();
  if (lower === 'daily' || lower === '*') return new Set([0, 1, 2, 3, 4, 5, 6]);
  for (const part of lower.split(',')) {
    const [a, b] = part.split('-');
    const from = DAY_NAMES.indexOf((a ?? '').slice(0, 3));
    const to = b === undefined ? from : DAY_NAMES.indexOf(b.slice(0, 3));
    if (from < 0 || to < 0 || (a ?? '').length < 3 || (b !== undefined && b.length < 3)) {
      throw new InvalidInputError(`maintenance window "${whole}": "${part}" is not a day or a range of days (Mon, Tue-Thu, daily)`, { code: 'INVALID_WINDOW' });
    }
    for (let d = from; ; d = (d + 1) % 7) {
      out.add(d);
      if (d === to) break;
    }
  }
  return out;
}

/**
 * Local wall-clock parts of `t` in `zone`: year, month (1-12), day, weekday
 * (0 = Sunday), minutes after midnight, and the zone's UTC offset in ms.
 */
function localParts(t: number, fmt: Intl.DateTimeFormat): { y: number; mo: number; d: number; wd: number; minutes: number; offset: number } {
  const parts: Record<string, string> = {};
  for (const p of fmt.formatToParts(new Date(t))) parts[p.type] = p.value;
  const y = Number(parts.year);
  const mo = Number(parts.month);
  const d = Number(parts.day);
  const h = Number(parts.hour) % 24;
  const mi = Number(parts.minute);
  const s = Number(parts.second);
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  const offset = asUtc - (t - (t % 1000 + 1000) % 1000);
  const wd = new Date(Date.UTC(y, mo - 1, d)).getUTCDay();
  return { y, mo, d, wd, minutes: h * 60 + mi, offset };
}

/**
 * A parsed maintenance window: whether an instant is inside it, when the
 * next one opens, when the current one closes. Time-zone and DST correct
 * (through `Intl`): a window is wall-clock time in its zone. A local time
 * that does not exist (in the hour skipped when clocks go forward) moves
 * forward by the gap (02:30 becomes 03:30, as java.time and Temporal do);
 * one that happens twice (clocks go back) is its first occurrence.
 */
export class MaintenanceWindow {
  readonly schedule: string;
  readonly timezone: string;
  readonly #rules: Rule[];
  readonly #fmt: Intl.DateTimeFormat;

  /** @throws InvalidInputError code `INVALID_WINDOW` (schedule) or `INVALID_TIMEZONE` */
  constructor(spec: MaintenanceWindowSpec) {
    this.schedule = spec.schedule;
    this.timezone = spec.timezone ?? 'UTC';
    try {
      this.#fmt = new Intl.DateTimeFormat('en-US', {
        timeZone: this.timezone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new InvalidInputError(`maintenance window: unknown time zone "${this.timezone}"; use an IANA name such as Europe/Paris or UTC`, {
        code: 'INVALID_TIMEZONE',
      });
    }
    const parts = spec.schedule
      .split(';')
      .map((p) => p.trim())
      .filter(Boolean);
    if (parts.length === 0) throw new InvalidInputError('maintenance window: the schedule is empty; write e.g. "Mon-Fri 09:00-17:00"', { code: 'INVALID_WINDOW' });
    this.#rules = parts.map((p) => {
      const m = /^(\S+)\s+(\S+)-(\S+)$/.exec(p);
      if (!m) throw new InvalidInputError(`maintenance window "${p}": write <days> <HH:MM>-<HH:MM>, e.g. "Mon-Fri 09:00-17:00"`, { code: 'INVALID_WINDOW' });
      const start = parseTime(m[2]!, 'start', p);
      let end = parseTime(m[3]!, 'end', p);
      if (start === 1440) throw new InvalidInputError(`maintenance window "${p}": a window cannot start at 24:00; write 00:00 of the next day`, { code: 'INVALID_WINDOW' });
      if (end <= start) end += 1440;
      return { days: parseDays(m[1]!, p), start, end };
    });
  }

  /**
   * The UTC instant (ms) of local wall time `minutes` after midnight of local
   * date y-mo-d. The zone's offsets a day and a half either side give the
   * candidates; a wall time that both fit (clocks went back) is its first
   * occurrence; one that neither fits (clocks went forward over it) is read
   * with the offset from before the change, which moves it forward by the gap.
   */
  #instant(y: number, mo: number, d: number, minutes: number): number {
    const wall = Date.UTC(y, mo - 1, d) + minutes * MINUTE_MS;
    const before = wall - localParts(wall - 1.5 * DAY_MS, this.#fmt).offset;
    const after = wall - localParts(wall + 1.5 * DAY_MS, this.#fmt).offset;
    const fits = [before, after].filter((t) => t + localParts(t, this.#fmt).offset === wall);
    return fits.length > 0 ? Math.min(...fits) : before;
  }

  /** The occurrences (open, close) of every rule around `t`: from two local days before to eight after. */
  #occurrences(t: number): [number, number][] {
    const out: [number, number][] = [];
    const seen = new Set<string>();
    // Half-day steps so that no local date is skipped on a 23-hour day.
    for (let k = -4; k <= 16; k++) {
      const p = localParts(t + (k * DAY_MS) / 2, this.#fmt);
      const key = `${p.y}-${p.mo}-${p.d}`;
      if (seen.has(key)) continue;
      seen.add(key);
      for (const r of this.#rules) {
        if (!r.days.has(p.wd)) continue;
        out.push([this.#instant(p.y, p.mo, p.d, r.start), this.#instant(p.y, p.mo, p.d, r.end)]);
      }
    }
    return out.sort((a, b) => a[0] - b[0]);
  }

  /** Whether instant `t` (ms since the epoch) is inside the window. */
  isOpen(t: number): boolean {
    return this.#occurrences(t).some(([a, b]) => a <= t && t < b);
  }

  /** When the window that contains `t` closes (the latest close among overlapping occurrences), or `undefined` when closed. */
  closesAt(t: number): number | undefined {
    let close: number | undefined;
    for (const [a, b] of this.#occurrences(t)) {
      if (a <= t && t < b) close = Math.max(close ?? b, b);
      else if (close !== undefined && a <= close && b > close) close = b; // an adjacent occurrence continues it
    }
    return close;
  }

  /** `t` itself when open, else the next instant the window opens (within eight days; every schedule opens at least weekly). */
  nextOpen(t: number): number {
    if (this.isOpen(t)) return t;
    const next = this.#occurrences(t).find(([a]) => a > t);
    if (next === undefined) throw new Error(`maintenance window "${this.schedule}": no opening within a week of ${new Date(t).toISOString()}`);
    return next[0];
  }

  /** A readable form: `Mon-Fri 09:00-17:00 (Europe/Paris)`. */
  toString(): string {
    return `${this.schedule} (${this.timezone})`;
  }
}
