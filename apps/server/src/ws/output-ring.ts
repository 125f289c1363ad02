/**
 * A bounded FIFO of output bytes: once `limitBytes` is exceeded the oldest bytes are dropped
 * (counted in `droppedBytes`), so a detached terminal never holds more than the limit.
 */
export class OutputRing {
  readonly limitBytes: number;
  #chunks: Buffer[] = [];
  #sizeBytes = 0;
  droppedBytes = 0;

  constructor(limitBytes: number) {
    this.limitBytes = limitBytes;
  }

  get sizeBytes(): number {
    return this.#sizeBytes;
  }

  push(chunk: Uint8Array): void {
    let bytes = Buffer.from(chunk);
    if (bytes.byteLength > this.limitBytes) {
      this.droppedBytes += bytes.byteLength - this.limitBytes;
      bytes = bytes.subarray(bytes.byteLength - this.limitBytes);
    }
    this.#chunks.push(bytes);
    this.#sizeBytes += bytes.byteLength;
    while (this.#sizeBytes > this.limitBytes) {
      const oldest = this.#chunks[0];
      if (oldest === undefined) break;
      const excess = this.#sizeBytes - this.limitBytes;
      if (oldest.byteLength <= excess) {
        this.#chunks.shift();
        this.#sizeBytes -= oldest.byteLength;
        this.droppedBytes += oldest.byteLength;
      } else {
        this.#chunks[0] = oldest.subarray(excess);
        this.#sizeBytes -= excess;
        this.droppedBytes += excess;
      }
    }
  }

  /** Everything held, oldest first; the ring is empty afterwards. */
  drain(): Buffer {
    const all = Buffer.concat(this.#chunks);
    this.#chunks = [];
    this.#sizeBytes = 0;
    return all;
  }
}
