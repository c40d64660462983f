import pc from 'picocolors';

/** The few styles the CLI uses; identity functions when color is off. */
export interface Colors {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
}

/**
 * Whether to color output: never with `--no-color` or when `NO_COLOR` is set
 * to anything non-empty (https://no-color.org), nor when `TERM=dumb` or the
 * stream is not a terminal; `FORCE_COLOR` (non-empty, not `0`) forces it on.
 */
export function colorEnabled(env: NodeJS.ProcessEnv, stream: { isTTY?: boolean }, noColorFlag = false): boolean {
  if (noColorFlag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

/** Styles from picocolors, on or off. */
export function makeColors(enabled: boolean): Colors {
  const p = pc.createColors(enabled);
  return { bold: p.bold, dim: p.dim, red: p.red, green: p.green, yellow: p.yellow };
}
