import type { NodeShell, ShellResult, ShellRunOptions } from '../src/index.js';

/**
 * An in-memory node shell that interprets the command vocabulary of src/shell/README-commands.md
 * (files and systemd units), records every argv, and can fail on purpose.
 */
export class FakeShell implements NodeShell {
  readonly files = new Map<string, string>();
  readonly units = new Map<string, string>();
  readonly log: string[][] = [];
  /** Return this result instead of running the command when it matches. */
  override: ((argv: readonly string[]) => ShellResult | Error | undefined) | undefined;

  async run(argv: readonly string[], options: ShellRunOptions = {}): Promise<ShellResult> {
    this.log.push([...argv]);
    const o = this.override?.(argv);
    if (o instanceof Error) throw o;
    if (o) return o;
    let a = [...argv];
    if (a[0] === 'sudo' && a[1] === '-n') a = a.slice(2);
    const ok = (stdout = ''): ShellResult => ({ exitCode: 0, stdout, stderr: '', truncated: false });
    const fail = (code: number, stderr: string): ShellResult => ({ exitCode: code, stdout: '', stderr, truncated: false });
    const stdin = options.stdin === undefined ? '' : typeof options.stdin === 'string' ? options.stdin : Buffer.from(options.stdin).toString('utf8');
    switch (a[0]) {
      case 'cat': {
        const f = this.files.get(a[1]!);
        return f === undefined ? fail(1, `cat: ${a[1]}: No such file or directory\n`) : ok(f);
      }
      case 'cp': {
        if (a[1] !== '-p') return fail(2, 'bad cp usage');
        const f = this.files.get(a[2]!);
        if (f === undefined) return fail(1, `cp: cannot stat '${a[2]}': No such file or directory\n`);
        this.files.set(a[3]!, f);
        return ok();
      }
      case 'tee':
        this.files.set(a[1]!, stdin);
        return ok(stdin);
      case 'mv': {
        if (a[1] !== '-f') return fail(2, 'bad mv usage');
        const f = this.files.get(a[2]!);
        if (f === undefined) return fail(1, `mv: cannot stat '${a[2]}'\n`);
        this.files.delete(a[2]!);
        this.files.set(a[3]!, f);
        return ok();
      }
      case 'sync':
        return ok();
      case 'systemctl': {
        const [, verb, unit] = a;
        const state = this.units.get(unit!);
        if (state === undefined) return verb === 'is-active' ? { exitCode: 3, stdout: 'inactive\n', stderr: '', truncated: false } : fail(5, `Failed to ${verb} ${unit}: Unit ${unit} not found.\n`);
        if (verb === 'is-active') return state === 'active' ? ok('active\n') : { exitCode: 3, stdout: `${state}\n`, stderr: '', truncated: false };
        if (verb === 'start' || verb === 'restart') this.units.set(unit!, 'active');
        if (verb === 'stop') this.units.set(unit!, 'inactive');
        return ok();
      }
      default:
        return fail(127, `${a[0]}: command not found\n`);
    }
  }
}
