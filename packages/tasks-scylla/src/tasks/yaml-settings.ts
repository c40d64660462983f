import { isMap, isNode, isScalar, parseDocument, stringify } from 'yaml';

/** The result of {@link applyYamlSettings}. */
export interface YamlSettingsResult {
  /** The new text (the input unchanged when `changed` is empty). */
  text: string;
  /** Keys whose value differed and was set, in the order given. */
  changed: string[];
}

/** Thrown by {@link applyYamlSettings} for text that is not a YAML mapping. */
export class YamlSettingsError extends Error {}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** A settings key as a path: `a.b` names key `b` of mapping `a` (scylla.yaml keys have no dots). */
export function settingPath(key: string): string[] {
  const path = key.split('.');
  if (path.some((p) => p === '')) throw new YamlSettingsError(`invalid setting key ${JSON.stringify(key)}`);
  return path;
}

function valueAt(doc: ReturnType<typeof parseDocument>, path: string[]): { present: boolean; value: unknown } {
  const js = doc.toJS() as unknown;
  let cur: unknown = js;
  for (const p of path) {
    if (!cur || typeof cur !== 'object' || Array.isArray(cur) || !Object.prototype.hasOwnProperty.call(cur, p)) return { present: false, value: undefined };
    cur = (cur as Record<string, unknown>)[p];
  }
  return { present: true, value: cur };
}

/**
 * Sets `settings` in a YAML document's text with the `yaml` Document API, so comments, key
 * order and untouched values stay. Keys are top-level names (`compaction_throughput_mb_per_sec`)
 * or dotted paths into nested mappings (`client_encryption_options.enabled`); a value replaces
 * the key's whole value. A key already holding an equal value (deep, ignoring mapping order) is
 * left alone; when nothing differs the input text is returned unchanged.
 *
 * To keep the file's own layout (scylla.yaml indents some blocks by 4), the common edits are
 * spliced into the original text: a scalar value replaced where it stands (its comment kept),
 * a missing top-level key appended at the end. Other edits (a collection replaced, a missing
 * nested key) re-render the document. Either way the result is parsed again and must hold
 * every setting. Pure. Throws {@link YamlSettingsError} for text that does not parse or is not
 * a mapping.
 */
export function applyYamlSettings(text: string, settings: Readonly<Record<string, unknown>>): YamlSettingsResult {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new YamlSettingsError(`not valid YAML: ${doc.errors[0]!.message}`);
  if (doc.contents !== null && !isMap(doc.contents)) throw new YamlSettingsError('the document is not a mapping of settings');
  const changed: string[] = [];
  const splices: { start: number; end: number; text: string }[] = [];
  const appended: string[] = [];
  let spliceable = true;
  for (const [key, value] of Object.entries(settings)) {
    const path = settingPath(key);
    const now = valueAt(doc, path);
    if (now.present && same(now.value, value)) continue;
    for (let i = 1; i < path.length; i++) {
      const parent = valueAt(doc, path.slice(0, i));
      if (parent.present && (parent.value === null || typeof parent.value !== 'object' || Array.isArray(parent.value))) {
        throw new YamlSettingsError(`cannot set ${key}: ${path.slice(0, i).join('.')} is not a mapping`);
      }
    }
    const old = doc.getIn(path, true);
    const primitive = value === null || ['string', 'number', 'boolean'].includes(typeof value);
    if (isScalar(old) && primitive) {
      const rendered = stringify(value, { lineWidth: 0 }).replace(/\n$/, '');
      if (old.range && !rendered.includes('\n')) splices.push({ start: old.range[0], end: old.range[1], text: rendered });
      else spliceable = false;
      // change the value in place: the node keeps its comments (`key: 0   # unthrottled`)
      old.value = value;
    } else {
      if (!now.present && path.length === 1 && doc.contents !== null) appended.push(stringify({ [key]: value }, { lineWidth: 0 }));
      else spliceable = false;
      const node = doc.createNode(value);
      if (isNode(old)) {
        node.comment = old.comment;
        node.commentBefore = old.commentBefore;
      }
      doc.setIn(path, node);
    }
    changed.push(key);
  }
  if (changed.length === 0) return { text, changed };
  if (spliceable) {
    let out = text;
    for (const sp of splices.sort((a, b) => b.start - a.start)) out = out.slice(0, sp.start) + sp.text + out.slice(sp.end);
    if (appended.length > 0) out = `${out}${out.endsWith('\n') || out === '' ? '' : '\n'}${appended.join('')}`;
    if (holds(out, settings)) return { text: out, changed };
  }
  const rendered = doc.toString({ lineWidth: 0 });
  if (!holds(rendered, settings)) throw new YamlSettingsError('internal check failed: the edited document does not read back as written');
  return { text: rendered, changed };
}

function holds(text: string, settings: Readonly<Record<string, unknown>>): boolean {
  const check = parseDocument(text);
  if (check.errors.length > 0) return false;
  return Object.entries(settings).every(([key, value]) => {
    const v = valueAt(check, settingPath(key));
    return v.present && same(v.value, value);
  });
}

/** Whether every setting already holds its value in `text` (see {@link applyYamlSettings}). */
export function yamlHasSettings(text: string, settings: Readonly<Record<string, unknown>>): boolean {
  return applyYamlSettings(text, settings).changed.length === 0;
}
