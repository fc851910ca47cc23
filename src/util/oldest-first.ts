/**
 * The oldest-first order of a bounded Map, for evicting from the front.
 *
 * Why not iterate the Map: a deleted Map entry stays behind as an empty slot until the table is
 * rehashed, and iteration walks those slots. A Map that drops its oldest entry on every insert keeps up
 * to half its capacity of them at its front, so finding its oldest live entry walks them all: measured
 * here, 39 µs per insert at 100,000 entries (1.6 µs at 4,096), which at the webhook receiver's dedupe
 * bounds was most of the CPU of an acknowledgement.
 *
 * Each `set` is remembered with the value object it stored; an entry replaced or deleted since is
 * stale and skipped. Values must be objects (identity tells a replaced entry from the current one).
 */
export class OldestFirst<K, V extends object> {
  /**
   * Key, value, key, value, ... in one flat array: remembering an entry allocates nothing of its own (a
   * [key, value] pair each cost a queued job about 50 bytes of heap).
   */
  private items: (K | V)[] = [];
  /** Index of the first key not yet known to be stale. */
  private head = 0;

  constructor(private readonly map: Map<K, V>) {}

  /** `map.set(key, value)`, remembered as the newest. */
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    this.items.push(key, value);
    // Stale items (replaced values) pile up behind the head when entries are updated often and none is
    // evicted: start again from the map, whose own order is the same.
    if ((this.items.length - this.head) / 2 > 2 * this.map.size + 1024) this.rebuild();
  }

  /** The oldest live entry, if any: delete it from the map to evict it. */
  oldest(): [K, V] | undefined {
    const i = this.firstLive();
    return i < this.items.length ? [this.items[i] as K, this.items[i + 1] as V] : undefined;
  }

  /** The live values, oldest first: what iterating the map gives, without walking its deleted slots. */
  *values(): IterableIterator<V> {
    // An array replaced meanwhile (firstLive drops a dead prefix) leaves this walk on the one it began on.
    const start = this.firstLive();
    const items = this.items;
    for (let i = start; i < items.length; i += 2) {
      const v = items[i + 1] as V;
      if (this.map.get(items[i] as K) === v) yield v;
    }
  }

  /** Skip the stale entries at the front (dropping them once they are most of the array); the index of the first live key. */
  private firstLive(): number {
    const items = this.items;
    while (this.head < items.length && this.map.get(items[this.head] as K) !== items[this.head + 1]) this.head += 2;
    if (this.head > 2048 && this.head * 2 > items.length) {
      this.items = items.slice(this.head);
      this.head = 0;
    }
    return this.head;
  }

  private rebuild(): void {
    const items: (K | V)[] = [];
    for (const [k, v] of this.map) items.push(k, v);
    this.items = items;
    this.head = 0;
  }
}
