/**
 * A webhook URL with its secret parts removed, safe to print, log, store or
 * put in events: scheme and host only, e.g.
 * `https://discord.com/api/webhooks/123/abc?wait=true` → `https://discord.com/…`.
 * Credentials, path, query and fragment are dropped. An unparseable value
 * yields `<invalid url>` (never the value itself).
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '<invalid url>';
  }
}

/** Replaces every occurrence of `url` (and of its path and query, the secret parts) in `text` with its redacted form. */
export function scrubUrl(text: string, url: string): string {
  let out = text.split(url).join(redactUrl(url));
  try {
    const u = new URL(url);
    for (const part of [u.pathname + u.search, u.pathname, u.search, u.username, u.password]) {
      if (part.length > 1) out = out.split(part).join('/…');
    }
  } catch {
    // nothing more to scrub
  }
  return out;
}
