/** The formatted `YYYY-MM-DDTHH:MM:` of the last minute {@link isoTime} formatted. */
let isoMinute = { start: Number.NaN, prefix: '' };

/**
 * ISO-8601 UTC text of `ms` (ms since epoch), exactly what `new Date(ms).toISOString()`
 * prints, but cheaper on the commit path: every transition formats its time, and
 * consecutive ones nearly always fall in the same minute, so the date part is formatted
 * once per minute and only seconds and milliseconds are appended. Times outside
 * 1970..9999 and fractional ms take the `Date` path.
 */
export function isoTime(ms: number): string {
  const inMinute = ms - isoMinute.start;
  if (!(inMinute >= 0 && inMinute < 60_000 && Number.isInteger(inMinute))) {
    if (!Number.isInteger(ms) || ms < 0 || ms >= 253_402_300_800_000) return new Date(ms).toISOString();
    const start = ms - (ms % 60_000);
    isoMinute = { start, prefix: new Date(start).toISOString().slice(0, 17) };
    return isoTime(ms);
  }
  const sec = Math.floor(inMinute / 1000);
  const milli = inMinute - sec * 1000;
  return `${isoMinute.prefix}${sec < 10 ? '0' : ''}${sec}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}
