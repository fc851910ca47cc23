/**
 * A promise that resolves on a later turn of the event loop, after the I/O that is ready now: long work
 * done in slices awaits it between them, so it does not hold up every flow of the runtime.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Records a store's compaction serializes between two turns of the event loop (a few milliseconds of work). */
export const SNAPSHOT_SLICE = 4096;

/**
 * A snapshot's lines, one per item, built SNAPSHOT_SLICE at a time with a turn of the event loop
 * between slices; appended to `into` when given (a snapshot of several collections).
 */
export async function linesInSlices<T>(items: Iterable<T>, line: (item: T) => string, into: string[] = []): Promise<string[]> {
  for (const item of items) if (into.push(line(item)) % SNAPSHOT_SLICE === 0) await nextTurn();
  return into;
}
