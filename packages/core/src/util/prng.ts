/**
 * A small, fast, seeded pseudo-random generator (SplitMix32-style mixing over
 * a 32-bit state). Deterministic for a given seed on every platform.
 * Use it wherever randomness is needed in the engine (retry jitter, tests);
 * never `Math.random()`.
 */
export class Prng {
  #state: number;

  /** @param seed any integer; the same seed always yields the same sequence. */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    this.#state = (this.#state + 0x9e3779b9) >>> 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Uniform float in [min, max). */
  float(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  /** A new generator whose sequence is derived from, and independent of, this one. */
  fork(): Prng {
    return new Prng(this.nextUint32());
  }
}
