import fs from 'node:fs';
import path from 'node:path';
import { InvalidInputError, suggestionHint, WorkflowError, type WorkflowProblem } from '@scylla-cp/core';
import { findNodeAtLocation, parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import { z } from 'zod';

/** The name of the config file looked up in the working directory. */
export const CONFIG_FILE_NAME = 'scylla-cp.config.json';

const configSchema = z
  .object({
    /** npm package names (or paths) of plugins to load besides the built-in ones. */
    plugins: z.array(z.string().min(1)).default([]),
    /** Webhook targets, as `discord:<url>`, `slack:<url>`, `webhook:<url>`. */
    notify: z.array(z.string()).default([]),
    /** Discord user id to mention in halt notifications. */
    operator_mention: z.string().optional(),
    /** Also notify when a job completes. @default false */
    notify_on_success: z.boolean().default(false),
    /** The job store file (relative to the working directory). */
    db: z.string().optional(),
    /** The operator name recorded with jobs. */
    operator: z.string().optional(),
  })
  .strict();

/** The CLI configuration (`scylla-cp.config.json`). */
export type CliConfig = z.output<typeof configSchema> & { file?: string };

/** What each key holds, and an example line, for the hints of a wrong value. */
const KEY_EXAMPLES: Record<keyof z.input<typeof configSchema>, { expected: string; example: string }> = {
  plugins: { expected: 'a list of npm package names or paths', example: '"plugins": ["scylla-cp-plugin-example"]' },
  notify: { expected: 'a list of strings', example: '"notify": ["discord:env:SCYLLA_CP_DISCORD_HOOK"]' },
  operator_mention: { expected: 'a string', example: '"operator_mention": "123456789012345678"' },
  notify_on_success: { expected: 'true or false', example: '"notify_on_success": true' },
  db: { expected: 'a string', example: '"db": "/var/lib/scylla-cp/jobs.db"' },
  operator: { expected: 'a string', example: '"operator": "alice"' },
};

/**
 * Loads the config file: `explicitPath` if given (must exist), otherwise
 * `scylla-cp.config.json` in `cwd` if present, otherwise defaults.
 * @throws InvalidInputError (`BAD_CONFIG`) the file is missing (when given) or
 *   a directory; WorkflowError (`BAD_CONFIG`) it is not JSON or not a valid
 *   config, each problem with its file:line:column and a hint.
 */
export function loadConfig(cwd: string, explicitPath?: string): CliConfig {
  const file = explicitPath ? path.resolve(cwd, explicitPath) : path.join(cwd, CONFIG_FILE_NAME);
  if (!fs.existsSync(file)) {
    if (explicitPath) throw new InvalidInputError(`config file ${file} does not exist`, { code: 'BAD_CONFIG' });
    return configSchema.parse({});
  }
  if (fs.statSync(file).isDirectory()) throw new InvalidInputError(`config file ${file} is a directory; give the path of a JSON file`, { code: 'BAD_CONFIG' });
  const text = fs.readFileSync(file, 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new WorkflowError([syntaxProblem(file, text, (e as Error).message)], { code: 'BAD_CONFIG' });
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const tree = parseTree(text, [], { disallowComments: true, allowTrailingComma: false });
    const problems = parsed.error.issues.flatMap((i) => schemaProblems(file, text, tree, i));
    problems.sort((a, b) => (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.column ?? 0) - (b.location?.column ?? 0));
    throw new WorkflowError(problems, { code: 'BAD_CONFIG' });
  }
  return { ...parsed.data, file };
}

/** 1-based line and column of `offset` in `text`. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/** What each of jsonc-parser's error codes (by name) means, in words. */
const SYNTAX_MESSAGES: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'a key in double quotes expected',
  ValueExpected: 'a value expected',
  ColonExpected: '":" expected after the key',
  CommaExpected: '"," expected between entries',
  CloseBraceExpected: '"}" expected',
  CloseBracketExpected: '"]" expected',
  EndOfFileExpected: 'nothing may follow the top-level object',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'comments are not allowed in JSON',
  UnexpectedEndOfString: 'a string is not closed',
  UnexpectedEndOfNumber: 'a number is cut off',
  InvalidUnicode: 'invalid \\u escape',
  InvalidEscapeCharacter: 'invalid escape in a string',
  InvalidCharacter: 'a control character inside a string',
};

/** Where and what the first JSON syntax error of `text` is (`fallback`: JSON.parse's message, should the strict parse find none). */
function syntaxProblem(file: string, text: string, fallback: string): WorkflowProblem {
  const errors: ParseError[] = [];
  parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  const code = first === undefined ? '' : printParseErrorCode(first.error);
  if (first === undefined) return { message: `not valid JSON: ${fallback}`, hint: 'the config file is one JSON object, e.g. { "operator": "alice" }', location: { file, line: 1, column: 1 } };
  // A comma before a closing bracket: point at the comma, which is what to remove.
  const before = text.slice(0, first.offset).trimEnd();
  if ((code === 'ValueExpected' || code === 'PropertyNameExpected') && before.endsWith(',') && /^[\]}]/.test(text.slice(first.offset))) {
    return { message: 'not valid JSON: a trailing comma', hint: 'remove the trailing comma: JSON allows none before "]" or "}"', location: { file, ...lineColumn(text, before.length - 1) } };
  }
  const atEnd = first.offset >= text.trimEnd().length;
  const what = atEnd && text.trim() !== '' ? `${SYNTAX_MESSAGES[code] ?? 'invalid JSON'} (the file ends here)` : text.trim() === '' ? 'the file is empty' : (SYNTAX_MESSAGES[code] ?? 'invalid JSON');
  const hint = text.trim() === '' ? 'write a JSON object, e.g. { "operator": "alice" }, or delete the file' : code === 'InvalidCommentToken' ? 'remove the comment' : 'fix the JSON here (every key and string in double quotes, entries separated by ",", every "[" and "{" closed)';
  return { message: `not valid JSON: ${what}`, hint, location: { file, ...lineColumn(text, Math.min(first.offset, text.length)) } };
}

/** The problems of one zod issue, located in `text` through its JSON tree. */
function schemaProblems(file: string, text: string, tree: JsonNode | undefined, issue: z.core.$ZodIssue): WorkflowProblem[] {
  const at = (node: JsonNode | undefined) => ({ file, ...lineColumn(text, node?.offset ?? 0) });
  const jsonPath = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const node = tree ? findNodeAtLocation(tree, jsonPath) : undefined;
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const value = tree ? findNodeAtLocation(tree, [...jsonPath, key]) : undefined;
      return { message: `unknown key "${key}"`, hint: suggestionHint(key, Object.keys(KEY_EXAMPLES)), location: at(value?.parent?.children?.[0] ?? node) };
    });
  }
  const name = jsonPath.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(the file)';
  const key = KEY_EXAMPLES[jsonPath[0] as keyof typeof KEY_EXAMPLES];
  if (jsonPath.length === 0) return [{ message: `the config file must be a JSON object: ${issue.message}`, hint: 'write e.g. { "operator": "alice" }', location: at(tree) }];
  if (issue.code === 'invalid_type' && key !== undefined && jsonPath.length === 1) {
    return [{ message: `"${name}": expected ${key.expected}`, hint: `e.g. ${key.example}`, location: at(node) }];
  }
  return [{ message: `"${name}": ${issue.message}`, ...(key ? { hint: `e.g. ${key.example}` } : {}), location: at(node) }];
}
