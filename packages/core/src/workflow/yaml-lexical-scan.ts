import { CST, Lexer } from 'yaml';
import type { SourceLocation } from '../errors/input-errors.js';
import type { YamlLimits } from './yaml-limits.js';

/** Which limit a {@link lexicalScan} found broken, and where (an offset into the text). */
export interface LexicalLimitHit {
  kind: 'depth' | 'tokens' | 'aliases';
  offset: number;
}

/**
 * A fast first look at the token stream (yaml's lexer, about 1 µs a token)
 * that stops at the first token past a limit: more than `maxTokens` tokens,
 * more than `maxAliasCount` aliases, or nesting deeper than `maxDepth`
 * (flow collections, `[` and `{`, counted exactly; block collections by the
 * columns of their indicators and keys, a close estimate). Returns which
 * limit and the offset of the token, or `undefined`. The exact depth is measured on the CST afterwards;
 * this pass only makes a pathological file (1 MB of `[`) fail in
 * microseconds instead of seconds, since yaml's parser does not yield a
 * document before it has read all of it.
 */
export function lexicalScan(text: string, lim: YamlLimits): LexicalLimitHit | undefined {
  const cap = lim.maxDepth;
  let tokens = 0;
  let aliases = 0;
  let offset = 0;
  let lineStart = 0;
  let flow = 0;
  const block: number[] = [];
  let lastContentCol = -1;
  let lastContentOffset = 0;
  const enterBlock = (col: number, at: number): number | undefined => {
    while (block.length > 0 && block[block.length - 1]! > col) block.pop();
    if (block.length === 0 || block[block.length - 1]! !== col) block.push(col);
    return block.length + flow > cap ? at : undefined;
  };
  const over = (at: number | undefined) => (at === undefined ? undefined : { kind: 'depth' as const, offset: at });
  for (const tok of new Lexer().lex(text)) {
    const type = CST.tokenType(tok);
    if (type === 'doc-mode' || type === 'flow-error-end' || tok === CST.SCALAR) continue;
    const at = offset;
    offset += tok.length;
    if (type !== 'space' && type !== 'comment' && ++tokens > lim.maxTokens) return { kind: 'tokens', offset: at };
    if (type === 'alias' && ++aliases > lim.maxAliasCount) return { kind: 'aliases', offset: at };
    switch (type) {
      case 'flow-map-start':
      case 'flow-seq-start':
        flow++;
        if (block.length + flow > cap) return over(at);
        break;
      case 'flow-map-end':
      case 'flow-seq-end':
        if (flow > 0) flow--;
        break;
      case 'newline':
        lineStart = offset;
        lastContentCol = -1;
        break;
      case 'doc-start':
        block.length = 0;
        flow = 0;
        break;
      case 'seq-item-ind':
      case 'explicit-key-ind':
        if (flow === 0) {
          const deep = enterBlock(at - lineStart, at);
          if (deep !== undefined) return over(deep);
        }
        break;
      case 'map-value-ind':
        if (flow === 0 && lastContentCol >= 0) {
          const deep = enterBlock(lastContentCol, lastContentOffset);
          if (deep !== undefined) return over(deep);
        }
        break;
      case 'space':
      case 'comment':
        break;
      default:
        // scalars (a plain scalar's source has type null), quoted scalars, tags, anchors, aliases
        if (lastContentCol < 0 || type === null || type === 'single-quoted-scalar' || type === 'double-quoted-scalar' || type === 'alias') {
          lastContentCol = at - lineStart;
          lastContentOffset = at;
        }
    }
  }
  return undefined;
}

/** @internal The 1-based line and column of `offset` in `text`, counted without building a line table. */
export function locationOf(text: string, fileName: string, offset: number): SourceLocation {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { file: fileName, line, column: offset - lineStart + 1 };
}
