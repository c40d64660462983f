import { stringify } from 'yaml';

/** `--output` formats. */
export type OutputFormat = 'json' | 'yaml';

/** Renders plain data as JSON (2-space indented) or YAML, ending with a newline. */
export function renderOutput(data: unknown, format: OutputFormat): string {
  const plain = JSON.parse(JSON.stringify(data)) as unknown; // drops undefined, dates → strings
  if (format === 'yaml') return stringify(plain, { lineWidth: 0 });
  return `${JSON.stringify(plain, null, 2)}\n`;
}
