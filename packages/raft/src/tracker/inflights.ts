/**
 * The append messages sent to one follower and not yet acknowledged, bounded by a
 * message count and a byte total (pipelining flow control).
 */
export class Inflights {
  private readonly indexes: number[] = [];
  private readonly sizes: number[] = [];
  private bytes = 0;

  constructor(
    readonly maxCount: number,
    readonly maxBytes: number,
  ) {}

  /** Records a message whose last entry is `index` and whose entries total `sizeBytes`. */
  add(index: number, sizeBytes: number): void {
    this.indexes.push(index);
    this.sizes.push(sizeBytes);
    this.bytes += sizeBytes;
  }

  /** Frees every message whose last index is <= `index`. */
  freeLE(index: number): void {
    let n = 0;
    while (n < this.indexes.length && (this.indexes[n] as number) <= index) {
      this.bytes -= this.sizes[n] as number;
      n++;
    }
    if (n > 0) {
      this.indexes.splice(0, n);
      this.sizes.splice(0, n);
    }
  }

  /** Frees the oldest message (used when a heartbeat response shows the follower is alive). */
  freeFirst(): void {
    if (this.indexes.length === 0) return;
    this.freeLE(this.indexes[0] as number);
  }

  /** True when no more messages may be sent. */
  full(): boolean {
    return this.indexes.length >= this.maxCount || (this.maxBytes > 0 && this.bytes >= this.maxBytes);
  }

  /** Number of messages in flight. */
  get count(): number {
    return this.indexes.length;
  }

  /** Forgets everything. */
  reset(): void {
    this.indexes.length = 0;
    this.sizes.length = 0;
    this.bytes = 0;
  }
}
