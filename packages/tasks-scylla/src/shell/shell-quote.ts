/**
 * Quotes one argument for a POSIX shell (sh, bash, dash, zsh, ksh): wraps it in single quotes
 * and writes each `'` as `'\''`. Inside single quotes nothing is special (no `$`, backtick,
 * `\`, glob, `;` or newline interpretation), so the remote shell passes the argument through
 * byte for byte. The empty string becomes `''`.
 */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new TypeError('a shell argument cannot contain a NUL byte');
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Quotes every element of `argv` with {@link shellQuote} and joins them with spaces. */
export function shellJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new TypeError('argv must name a program');
  return argv.map(shellQuote).join(' ');
}
