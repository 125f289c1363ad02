/**
 * The newest rows this process committed, per stream (a run's transcript; '' for a global log),
 * so a follower woken by a commit of this process reads them without a round trip to the
 * database, within the same turn. Rows are served only when the tail holds every row after the
 * follower's position up to the highest `seq` known committed (by this process or notified by
 * another replica): anything else is read from the database.
 */
export class CommitTail<T extends { seq: number }> {
  readonly #streams = new Map<string, T[]>();
  readonly #maxRows: number;
  readonly #maxStreams: number;

  constructor(maxRowsPerStream = 1_000, maxStreams = 1_000) {
    this.#maxRows = maxRowsPerStream;
    this.#maxStreams = maxStreams;
  }

  /** Adds rows just committed, in `seq` order. */
  add(key: string, rows: readonly T[]): void {
    if (rows.length === 0) return;
    let stream = this.#streams.get(key) ?? [];
    const first = rows[0];
    // Rows older than the stream's newest (a run removed and begun again) replace it.
    if (first !== undefined && (stream.at(-1)?.seq ?? 0) >= first.seq) stream = [];
    stream.push(...rows);
    if (stream.length > this.#maxRows) stream.splice(0, stream.length - this.#maxRows);
    this.#streams.delete(key);
    this.#streams.set(key, stream);
    if (this.#streams.size > this.#maxStreams) {
      const oldest = this.#streams.keys().next().value;
      if (oldest !== undefined) this.#streams.delete(oldest);
    }
  }

  /**
   * The rows after `after`, oldest first, when the tail holds each of them up to `highest`
   * without a gap; `undefined` when the database must be read instead.
   */
  after(key: string, after: number, highest: number): T[] | undefined {
    if (after >= highest) return undefined;
    const stream = this.#streams.get(key);
    if (stream === undefined) return undefined;
    const start = stream.findIndex((row) => row.seq === after + 1);
    if (start < 0) return undefined;
    const rows: T[] = [];
    let expected = after + 1;
    for (let i = start; i < stream.length; i++) {
      const row = stream[i];
      if (row === undefined || row.seq !== expected) break;
      rows.push(row);
      expected += 1;
    }
    return expected - 1 >= highest ? rows : undefined;
  }

  /** Forgets a stream (its rows were removed). */
  remove(key: string): void {
    this.#streams.delete(key);
  }
}
