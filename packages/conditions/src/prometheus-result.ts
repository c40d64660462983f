/** A series' labels, `__name__` included when Prometheus returns it. */
export type SeriesLabels = Readonly<Record<string, string>>;

/** One sample: a time and a value. */
export interface Sample {
  /** Seconds since the Unix epoch (fractional). */
  timestampSeconds: number;
  /** The value; `NaN`, `Infinity` and `-Infinity` are decoded from `"NaN"`, `"+Inf"`, `"-Inf"`. */
  value: number;
}

/** A native histogram as Prometheus encodes it (kept as sent, values decoded to numbers). */
export interface NativeHistogram {
  count: number;
  sum: number;
  /** `[boundaryRule, lower, upper, count]` per bucket. */
  buckets: Array<[number, number, number, number]>;
}

/** One series of an instant vector. */
export interface VectorSample extends Sample {
  metric: SeriesLabels;
  /** Present for native-histogram samples, whose `value` is then `NaN`. */
  histogram?: NativeHistogram;
}

/** One series of a range vector (matrix). */
export interface MatrixSeries {
  metric: SeriesLabels;
  /** Float samples, oldest first. */
  values: Sample[];
}

/** A decoded query result, by `resultType`. */
export type QueryData =
  | { resultType: 'vector'; result: VectorSample[] }
  | { resultType: 'matrix'; result: MatrixSeries[] }
  | { resultType: 'scalar'; result: Sample }
  | { resultType: 'string'; result: { timestampSeconds: number; value: string } };

/** A decoded successful reply of `/api/v1/query` or `/api/v1/query_range`. */
export type QueryResult = QueryData & {
  /** Warnings Prometheus attached to the reply (e.g. partial data). @default [] */
  warnings: string[];
  /** Informational notices (Prometheus 2.51+). @default [] */
  infos: string[];
};

/** Thrown by {@link decodeQueryData} with a message saying what did not fit. */
export class QueryDecodeError extends Error {
  override readonly name = 'QueryDecodeError';
}

/**
 * Decodes a Prometheus sample value string: numbers, `NaN`, `+Inf`, `-Inf`
 * (Prometheus sends floats as strings to keep these exact).
 * @throws QueryDecodeError when `raw` is not such a string.
 */
export function parseSampleValue(raw: unknown): number {
  if (typeof raw !== 'string') throw new QueryDecodeError(`sample value must be a string, got ${describe(raw)}`);
  switch (raw) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
  }
  const v = Number(raw);
  if (raw.trim() === '' || Number.isNaN(v)) throw new QueryDecodeError(`sample value ${JSON.stringify(raw)} is not a number`);
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : typeof v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function decodeLabels(raw: unknown, where: string): SeriesLabels {
  if (!isRecord(raw)) throw new QueryDecodeError(`${where}.metric must be an object, got ${describe(raw)}`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') throw new QueryDecodeError(`${where}.metric.${k} must be a string, got ${describe(v)}`);
    out[k] = v;
  }
  return out;
}

function decodeSample(raw: unknown, where: string): Sample {
  if (!Array.isArray(raw) || raw.length !== 2 || typeof raw[0] !== 'number') {
    throw new QueryDecodeError(`${where} must be [<unix seconds>, "<value>"], got ${describe(raw)}`);
  }
  try {
    return { timestampSeconds: raw[0], value: parseSampleValue(raw[1]) };
  } catch (e) {
    throw new QueryDecodeError(`${where}: ${(e as Error).message}`);
  }
}

function decodeHistogram(raw: unknown, where: string): NativeHistogram {
  if (!Array.isArray(raw) || raw.length !== 2 || !isRecord(raw[1])) {
    throw new QueryDecodeError(`${where} must be [<unix seconds>, {count, sum, buckets}], got ${describe(raw)}`);
  }
  const h = raw[1];
  const buckets = Array.isArray(h.buckets)
    ? h.buckets.map((b, i) => {
        if (!Array.isArray(b) || b.length !== 4) throw new QueryDecodeError(`${where}.buckets[${i}] must have 4 elements`);
        return [Number(b[0]), parseSampleValue(b[1]), parseSampleValue(b[2]), parseSampleValue(b[3])] as [number, number, number, number];
      })
    : [];
  return { count: parseSampleValue(h.count), sum: parseSampleValue(h.sum), buckets };
}

/**
 * Decodes the `data` member of a successful Prometheus query reply.
 * @throws QueryDecodeError naming the first member that does not fit.
 */
export function decodeQueryData(data: unknown): QueryData {
  if (!isRecord(data)) throw new QueryDecodeError(`"data" must be an object, got ${describe(data)}`);
  const { resultType, result } = data;
  switch (resultType) {
    case 'vector': {
      if (!Array.isArray(result)) throw new QueryDecodeError(`vector "result" must be an array, got ${describe(result)}`);
      return {
        resultType,
        result: result.map((s, i): VectorSample => {
          const where = `result[${i}]`;
          if (!isRecord(s)) throw new QueryDecodeError(`${where} must be an object, got ${describe(s)}`);
          const metric = decodeLabels(s.metric, where);
          if (s.value === undefined && s.histogram !== undefined) {
            const histogram = decodeHistogram(s.histogram, `${where}.histogram`);
            return { metric, timestampSeconds: (s.histogram as [number])[0], value: Number.NaN, histogram };
          }
          return { metric, ...decodeSample(s.value, `${where}.value`) };
        }),
      };
    }
    case 'matrix': {
      if (!Array.isArray(result)) throw new QueryDecodeError(`matrix "result" must be an array, got ${describe(result)}`);
      return {
        resultType,
        result: result.map((s, i): MatrixSeries => {
          const where = `result[${i}]`;
          if (!isRecord(s)) throw new QueryDecodeError(`${where} must be an object, got ${describe(s)}`);
          const values = s.values === undefined ? [] : s.values;
          if (!Array.isArray(values)) throw new QueryDecodeError(`${where}.values must be an array, got ${describe(values)}`);
          return { metric: decodeLabels(s.metric, where), values: values.map((v, j) => decodeSample(v, `${where}.values[${j}]`)) };
        }),
      };
    }
    case 'scalar':
      return { resultType, result: decodeSample(result, 'result') };
    case 'string': {
      if (!Array.isArray(result) || result.length !== 2 || typeof result[0] !== 'number' || typeof result[1] !== 'string') {
        throw new QueryDecodeError(`string "result" must be [<unix seconds>, "<text>"], got ${describe(result)}`);
      }
      return { resultType, result: { timestampSeconds: result[0], value: result[1] } };
    }
    default:
      throw new QueryDecodeError(`unknown resultType ${describe(resultType)} (expected vector, matrix, scalar or string)`);
  }
}
