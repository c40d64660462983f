/**
 * Retries `probe` every 200 ms until it stops throwing, for at most
 * `timeoutMs`; then rethrows its last error. For waiting until Prometheus has
 * scraped a value the test just set.
 */
export async function eventually<T>(probe: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
