import type { CST } from 'yaml';

/** An opening `[` or `{` that the document never closes. */
export interface UnclosedFlowCollection {
  /** Offset of the bracket in the text (0-based, UTF-16 units). */
  offset: number;
  /** `[` or `{`. */
  bracket: string;
}

/**
 * The first flow collection (`[...]`, `{...}`), in document order, whose
 * closing bracket is missing, found on the parser's CST without recursion;
 * `undefined` when every one is closed. yaml reports such a bracket where it
 * gives up (often past the last line); this points at the bracket itself.
 */
export function firstUnclosedFlowCollection(tokens: readonly CST.Token[]): UnclosedFlowCollection | undefined {
  let first: UnclosedFlowCollection | undefined;
  for (const doc of tokens) {
    if (doc.type !== 'document') continue;
    const stack: unknown[] = [doc.value];
    while (stack.length > 0) {
      const tok = stack.pop();
      if (!tok || typeof tok !== 'object') continue;
      const t = tok as { type?: string; start?: CST.SourceToken; end?: CST.SourceToken[]; items?: { key?: unknown; value?: unknown }[] };
      if (t.type === 'flow-collection' && t.start) {
        const closed = (t.end ?? []).some((e) => e.type === 'flow-seq-end' || e.type === 'flow-map-end');
        if (!closed && (first === undefined || t.start.offset < first.offset)) first = { offset: t.start.offset, bracket: t.start.source };
      }
      for (const it of t.items ?? []) {
        if (it.key) stack.push(it.key);
        if (it.value) stack.push(it.value);
      }
    }
  }
  return first;
}
