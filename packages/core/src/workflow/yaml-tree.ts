import { Alias, Composer, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, Parser, Scalar, type CST, type Document, type Node as YamlNode } from 'yaml';
import { statSync } from 'node:fs';
import type { SourceLocation, WorkflowProblem } from '../errors/input-errors.js';
import type { TaggedValue } from './workflow.js';
import { lexicalScan, locationOf } from './yaml-lexical-scan.js';
import { firstUnclosedFlowCollection } from './unclosed-flow-collection.js';

export type { YamlLimits } from './yaml-limits.js';
import type { YamlLimits } from './yaml-limits.js';

/** The token budget of a workflow file (a real one holds a few thousand). */
export const WORKFLOW_MAX_TOKENS = 50_000;

/** The documented defaults of {@link YamlLimits}. */
export const DEFAULT_YAML_LIMITS: Readonly<YamlLimits> = Object.freeze({
  maxBytes: 1024 * 1024,
  maxDepth: 64,
  maxAliasCount: 100,
  maxNodes: 100_000,
  maxTokens: 200_000,
});

/** A path into a plain tree: object keys and array indexes. */
export type TreePath = readonly (string | number)[];

interface NodeInfo {
  /** Where the value starts (for a tagged value: where its tag starts). */
  value: SourceLocation;
  /** Where the mapping key naming it starts, if it is a mapping value. */
  key?: SourceLocation;
  /** Human path, e.g. `cluster_tasks[0].task.service`. */
  display: string;
}

/**
 * A YAML document turned into a plain tree (objects, arrays, strings,
 * numbers, booleans, null, and {@link TaggedValue}s for locally tagged nodes
 * such as `!scylla-drain`), with the source location of every node.
 * Internal to the workflow and inventory loaders.
 */
export class YamlTree {
  readonly #nodes = new Map<string, NodeInfo>();

  constructor(
    readonly fileName: string,
    readonly text: string,
    /** The plain tree. */
    public value: unknown = null,
  ) {}

  /** Records where the value at `path` is. @internal */
  record(path: TreePath, info: NodeInfo): void {
    this.#nodes.set(JSON.stringify(path), info);
  }

  #nearest(path: TreePath): NodeInfo | undefined {
    for (let n = path.length; n >= 0; n--) {
      const info = this.#nodes.get(JSON.stringify(path.slice(0, n)));
      if (info) return info;
    }
    return undefined;
  }

  /** Location of the value at `path` (or of its nearest located ancestor). */
  locate(path: TreePath): SourceLocation | undefined {
    return this.#nearest(path)?.value;
  }

  /** Location of the mapping key naming the value at `path` (falls back to the value). */
  locateKey(path: TreePath): SourceLocation | undefined {
    const info = this.#nodes.get(JSON.stringify(path));
    return info?.key ?? info?.value ?? this.#nearest(path)?.value;
  }

  /** Human-readable form of `path`, e.g. `cluster_tasks[0].task.node_tasks[1]`. */
  display(path: TreePath): string {
    const info = this.#nodes.get(JSON.stringify(path));
    if (info) return info.display || '(top level)';
    return displayPath(path);
  }

  /** The plain value at `path`, or `undefined`. */
  get(path: TreePath): unknown {
    let v: unknown = this.value;
    for (const seg of path) {
      if (isTaggedValue(v) && seg === 'value') {
        v = v.value;
        continue;
      }
      if (v === null || typeof v !== 'object') return undefined;
      if (!Object.prototype.hasOwnProperty.call(v, seg)) return undefined;
      v = (v as Record<string | number, unknown>)[seg];
    }
    return v;
  }
}

/** Formats a path as `a.b[0].c`. */
export function displayPath(path: TreePath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out || '(top level)';
}

/** Whether `v` is a {@link TaggedValue} (a locally tagged node of the plain tree, or its JSON form). */
export function isTaggedValue(v: unknown): v is TaggedValue {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { $tag?: unknown }).$tag === 'string' && 'value' in v;
}

/** Sets an own enumerable property, safe for keys such as `__proto__`. @internal */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

const YAML_HINTS: Record<string, string> = {
  DUPLICATE_KEY: 'each key may appear once per mapping; remove or rename one of them',
  BAD_INDENT: 'check the indentation: nested entries must be indented consistently with spaces',
  TAB_AS_INDENT: 'YAML indentation must use spaces, not tabs',
  MISSING_CHAR: 'a bracket or quote is not closed',
  BLOCK_AS_IMPLICIT_KEY: 'a key cannot span several lines; check for a missing ":" or wrong indentation',
  MULTILINE_IMPLICIT_KEY: 'a key cannot span several lines; check for a missing ":" or wrong indentation',
  UNEXPECTED_TOKEN: 'check the syntax near this point (a missing ":", "-" or quote?)',
};

/** Most problems listed in one error; the rest are counted. */
export const MAX_REPORTED_PROBLEMS = 100;

/**
 * Sorts problems by location and keeps the first {@link MAX_REPORTED_PROBLEMS},
 * adding one line that counts the others.
 */
export function limitProblems(problems: readonly WorkflowProblem[]): WorkflowProblem[] {
  const sorted = [...problems].sort((a, b) => {
    const la = a.location;
    const lb = b.location;
    if (!la || !lb) return la ? 1 : lb ? -1 : 0;
    return la.line - lb.line || la.column - lb.column;
  });
  if (sorted.length <= MAX_REPORTED_PROBLEMS) return sorted;
  const shown = sorted.slice(0, MAX_REPORTED_PROBLEMS);
  shown.push({ message: `... and ${sorted.length - MAX_REPORTED_PROBLEMS} more problems`, hint: 'fix the ones above first' });
  return shown;
}

function sizeProblem(fileName: string, what: string, bytes: number, maxBytes: number): WorkflowProblem {
  return {
    message: `${what} file ${fileName} is ${bytes} bytes, larger than the ${maxBytes}-byte limit`,
    hint: `a ${what} file is small; check that this is the right file`,
    location: { file: fileName, line: 1, column: 1 },
  };
}

/**
 * The size problem of the file at `path` when it is larger than
 * `limits.maxBytes`, judged from `stat` before anything is read (a
 * multi-gigabyte file is refused without being loaded). `undefined` when it
 * fits or cannot be stat'ed (the read then reports why). @internal
 */
export function oversizedFileProblem(path: string, fileName: string, what: string, limits: Partial<YamlLimits> = {}): WorkflowProblem | undefined {
  const maxBytes = limits.maxBytes ?? DEFAULT_YAML_LIMITS.maxBytes;
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return undefined;
  }
  return size > maxBytes ? sizeProblem(fileName, what, size, maxBytes) : undefined;
}

/** Nesting depth of the document's collections, computed on the CST without recursion. Stops counting past `cap`. */
function cstDepth(tokens: readonly CST.Token[], cap: number): number {
  let max = 0;
  for (const doc of tokens) {
    if (doc.type !== 'document') continue;
    const stack: [unknown, number][] = [[doc.value, 0]];
    while (stack.length > 0) {
      const [tok, depth] = stack.pop()!;
      if (!tok || typeof tok !== 'object') continue;
      const t = tok as { type?: string; items?: { key?: unknown; value?: unknown }[] };
      const d = t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection' ? depth + 1 : depth;
      if (d > max) max = d;
      if (max > cap) return max;
      for (const it of t.items ?? []) {
        if (it.key) stack.push([it.key, d]);
        if (it.value) stack.push([it.value, d]);
      }
    }
  }
  return max;
}

function firstLine(message: string): string {
  const cut = message.indexOf(' at line ');
  return (cut >= 0 ? message.slice(0, cut) : message.split('\n')[0]!).trim();
}

/**
 * Parses YAML text into a {@link YamlTree}. Problems (syntax errors, limits
 * exceeded, unsupported constructs) are appended to `problems`; when any is
 * found the returned tree may be partial (`undefined` when unusable).
 * `what` names the kind of file in messages (`workflow`, `inventory`).
 */
export function parseYamlTree(
  text: string,
  fileName: string,
  problems: WorkflowProblem[],
  what: string,
  limits: Partial<YamlLimits> = {},
): YamlTree | undefined {
  const lim = { ...DEFAULT_YAML_LIMITS, ...limits };
  // Measured before anything is parsed; a string of n UTF-16 units is at least n bytes, so the common case costs nothing.
  const bytes = text.length > lim.maxBytes ? text.length : Buffer.byteLength(text, 'utf8');
  if (bytes > lim.maxBytes) {
    problems.push(sizeProblem(fileName, what, Buffer.byteLength(text, 'utf8'), lim.maxBytes));
    return undefined;
  }
  const tooDeep = (location?: SourceLocation): undefined => {
    const p: WorkflowProblem = {
      message: `${what} file ${fileName} nests mappings and sequences more than ${lim.maxDepth} levels deep`,
      hint: `flatten the document; no valid ${what} needs that much nesting`,
    };
    if (location) p.location = location;
    problems.push(p);
    return undefined;
  };
  const lexOver = lexicalScan(text, lim);
  if (lexOver?.kind === 'depth') return tooDeep(locationOf(text, fileName, lexOver.offset));
  if (lexOver?.kind === 'tokens') {
    problems.push({
      message: `${what} file ${fileName} holds more than ${lim.maxTokens} YAML tokens`,
      hint: `a ${what} file this large is almost surely generated or corrupt; check that this is the right file (limits.maxTokens raises the limit)`,
      location: locationOf(text, fileName, lexOver.offset),
    });
    return undefined;
  }
  if (lexOver?.kind === 'aliases') {
    problems.push({
      message: `${what} file uses more than ${lim.maxAliasCount} aliases`,
      hint: 'write the values out, or use fewer anchors and aliases (*name)',
      location: locationOf(text, fileName, lexOver.offset),
    });
    return undefined;
  }
  // One pass of the (non-recursive) parser; its tokens are measured, then composed.
  const lineCounter = new LineCounter();
  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  const depth = cstDepth(tokens, lim.maxDepth);
  if (depth > lim.maxDepth) return tooDeep();
  // Duplicate keys are detected below in linear time (yaml's own check is quadratic in the keys of a mapping).
  const docs: Document[] = [...new Composer({ prettyErrors: false, uniqueKeys: false, strict: true }).compose(tokens, true, text.length)] as Document[];
  const loc = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file: fileName, line, column: col };
  };
  if (docs.length > 1) {
    problems.push({
      message: `${what} file holds ${docs.length} YAML documents; expected exactly one`,
      hint: 'remove the extra "---" document separators',
      location: loc(docs[1]!.range?.[0] ?? 0),
    });
  }
  const doc = docs[0];
  if (!doc || doc.contents === null) {
    problems.push({ message: `${what} file is empty`, hint: `write the ${what} as a YAML mapping`, location: loc(0) });
    return undefined;
  }
  if (doc.errors.length > 0) {
    let blamedBracket = false;
    for (const e of doc.errors) {
      const unclosed = /end with an? ([\]}])/.test(e.message) ? firstUnclosedFlowCollection(tokens) : undefined;
      if (unclosed !== undefined && unclosed.offset <= e.pos[0]) {
        // yaml blames where it gave up (often past the last line); the bracket left open is what to fix.
        if (blamedBracket) continue;
        blamedBracket = true;
        const close = unclosed.bracket === '[' ? ']' : '}';
        problems.push({
          message: `invalid YAML: this "${unclosed.bracket}" is never closed (yaml: ${firstLine(e.message)})`,
          hint: `close it with "${close}", keeping the lines inside it indented deeper than its key, or write the entries as indented block lines`,
          location: loc(unclosed.offset),
        });
        continue;
      }
      problems.push({
        message: `invalid YAML: ${firstLine(e.message)}`,
        hint: YAML_HINTS[e.code] ?? 'fix the YAML syntax here',
        location: loc(e.pos[0]),
      });
    }
    return undefined;
  }

  const tree = new YamlTree(fileName, text);
  let nodeCount = 0;
  let aliasCount = 0;
  let stopped = false;
  /** Offset of the outermost alias being expanded: where an expansion limit is blamed. */
  let expandingAlias: number | undefined;
  const stop = (p: WorkflowProblem) => {
    if (!stopped) problems.push(p);
    stopped = true;
  };

  const tagLocation = (node: YamlNode): SourceLocation => {
    const start = node.range?.[0] ?? 0;
    const tag = node.tag ?? '';
    const idx = text.lastIndexOf(tag, start);
    return loc(idx >= 0 && start - idx < 4096 ? idx : start);
  };

  const convert = (node: unknown, path: (string | number)[], display: string, depth: number, keyLoc?: SourceLocation): unknown => {
    if (stopped) return null;
    if (++nodeCount > lim.maxNodes) {
      stop({
        message: `${what} file expands to more than ${lim.maxNodes} values (aliases expanded)`,
        hint: 'an alias bomb? remove the repeated aliases (*name)',
        location: loc(expandingAlias ?? (node as YamlNode | null)?.range?.[0] ?? 0),
      });
      return null;
    }
    if (depth > lim.maxDepth) {
      stop({ message: `${what} file nests more than ${lim.maxDepth} levels deep (aliases expanded)`, hint: 'flatten the document' });
      return null;
    }
    if (isAlias(node)) {
      if (++aliasCount > lim.maxAliasCount) {
        stop({
          message: `${what} file uses more than ${lim.maxAliasCount} aliases`,
          hint: 'write the values out, or use fewer anchors and aliases (*name)',
          location: loc((node as Alias).range?.[0] ?? 0),
        });
        return null;
      }
      const target = (node as Alias).resolve(doc);
      const outer = expandingAlias;
      expandingAlias ??= (node as Alias).range?.[0];
      if (!target) {
        stop({ message: `unknown alias *${(node as Alias).source}`, hint: 'define the anchor (&name) before using it', location: loc((node as Alias).range?.[0] ?? 0) });
        return null;
      }
      try {
        return convert(target, path, display, depth + 1, keyLoc);
      } finally {
        expandingAlias = outer;
      }
    }
    const yn = node as YamlNode;
    const rawTag = yn.tag;
    const isLocalTag = typeof rawTag === 'string' && rawTag.startsWith('!') && !rawTag.startsWith('!!');
    if (isLocalTag) {
      const tagLoc = tagLocation(yn);
      tree.record(path, { value: tagLoc, key: keyLoc, display });
      const innerPath = [...path, 'value'];
      let inner: unknown;
      if (isScalar(yn) && (yn.value === '' || yn.value === null) && yn.type === Scalar.PLAIN) {
        inner = {}; // a bare tag (`!scylla-drain`) has no parameters
        tree.record(innerPath, { value: tagLoc, display });
      } else {
        inner = convertPlain(yn, innerPath, display, depth, loc(yn.range?.[0] ?? 0));
      }
      const tagged: TaggedValue = { $tag: rawTag.slice(1), value: inner, location: tagLoc };
      return tagged;
    }
    return convertPlain(yn, path, display, depth, undefined, keyLoc);
  };

  const convertPlain = (
    yn: YamlNode,
    path: (string | number)[],
    display: string,
    depth: number,
    valueLoc?: SourceLocation,
    keyLoc?: SourceLocation,
  ): unknown => {
    const here = valueLoc ?? loc(yn.range?.[0] ?? 0);
    tree.record(path, { value: here, key: keyLoc, display });
    if (isMap(yn)) {
      const out: Record<string, unknown> = {};
      const seen = new Map<string, SourceLocation>();
      for (const pair of yn.items) {
        if (stopped) break;
        if (!isPair(pair)) continue;
        const k = pair.key as YamlNode | null;
        let key: string;
        if (k === null || k === undefined) key = '';
        else if (isScalar(k) && (k.value === null || ['string', 'number', 'boolean'].includes(typeof k.value)) && !(k.tag && !k.tag.startsWith('tag:yaml.org'))) {
          key = String(k.value ?? '');
        } else {
          problems.push({
            message: 'mapping keys must be plain words',
            hint: 'write the key as a plain name such as "timeout_seconds"',
            location: loc(k.range?.[0] ?? yn.range?.[0] ?? 0),
          });
          continue;
        }
        const kLoc = loc((k as YamlNode | null)?.range?.[0] ?? yn.range?.[0] ?? 0);
        const first = seen.get(key);
        if (first) {
          problems.push({
            message: `duplicate key "${key}" (first at line ${first.line}, column ${first.column})`,
            hint: YAML_HINTS.DUPLICATE_KEY,
            location: kLoc,
            path: display === '' ? key : `${display}.${key}`,
          });
          continue;
        }
        seen.set(key, kLoc);
        const childDisplay = display === '' ? key : `${display}.${key}`;
        const child = pair.value === null || pair.value === undefined ? null : convert(pair.value, [...path, key], childDisplay, depth + 1, kLoc);
        if (pair.value === null || pair.value === undefined) tree.record([...path, key], { value: kLoc, key: kLoc, display: childDisplay });
        setOwn(out, key, child);
      }
      return out;
    }
    if (isSeq(yn)) {
      const out: unknown[] = [];
      yn.items.forEach((item, i) => {
        if (stopped) return;
        const childDisplay = `${display}[${i}]`;
        if (item === null || item === undefined) {
          tree.record([...path, i], { value: here, display: childDisplay });
          out.push(null);
        } else out.push(convert(item, [...path, i], childDisplay, depth + 1));
      });
      return out;
    }
    if (isScalar(yn)) {
      const v = yn.value;
      if (v === null || v === undefined) return null;
      if (typeof v === 'string' || typeof v === 'boolean') return v;
      if (typeof v === 'number') return v;
      if (typeof v === 'bigint') return Number(v);
      return String(v);
    }
    return null;
  };

  tree.value = convert(doc.contents, [], '', 0);
  return stopped ? undefined : tree;
}
