/** A comparison operator of {@link PrometheusQueryCondition}, as written in YAML. */
export type Comparator = '<' | '<=' | '==' | '!=' | '>=' | '>';

/** Every {@link Comparator}, in display order. */
export const COMPARATORS: readonly Comparator[] = Object.freeze(['<', '<=', '==', '!=', '>=', '>']);

/**
 * Whether `value <comparator> threshold` holds. IEEE semantics: a `NaN` value
 * satisfies only `!=`.
 */
export function compare(value: number, comparator: Comparator, threshold: number): boolean {
  switch (comparator) {
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
    case '>=':
      return value >= threshold;
    case '>':
      return value > threshold;
  }
}
