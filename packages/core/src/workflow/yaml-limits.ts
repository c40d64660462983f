/**
 * Limits applied to every YAML file scylla-cp reads (workflows, inventories),
 * so that a hostile or broken file is refused with a clear error instead of
 * hanging or crashing the process.
 */
export interface YamlLimits {
  /** Largest accepted file, in bytes (UTF-8). @default 1048576 (1 MiB) */
  maxBytes: number;
  /** Deepest accepted nesting of mappings and sequences. @default 64 */
  maxDepth: number;
  /** Most aliases (`*name`) accepted in one file. @default 100 */
  maxAliasCount: number;
  /** Most values the document may expand to, aliases expanded. @default 100000 */
  maxNodes: number;
  /**
   * Most YAML tokens (scalars, indicators, brackets, commas, tags, anchors,
   * aliases, line breaks; not spaces or comments) the file may hold, counted by a
   * fast lexical pass before yaml's parser runs (which costs about 25 µs a
   * token on pathological input). @default 200000 (parseWorkflow: 50000)
   */
  maxTokens: number;
}
