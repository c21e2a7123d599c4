/**
 * A binary min-heap, the priority queue behind the memory storage's queue
 * and schedule (huey's MemoryStorage uses Python's `heapq` the same way).
 *
 * @module
 * @internal
 */

/**
 * A binary heap: `push` and `pop` in O(log n), `peek` in O(1).
 *
 * @typeParam T The items.
 *
 * @example
 * ```ts
 * import { Heap } from "./_heap.ts";
 * const heap = new Heap<number>((a, b) => a - b);
 * for (const n of [5, 1, 3]) heap.push(n);
 * console.assert(heap.pop() === 1 && heap.peek() === 3 && heap.size === 2);
 * ```
 */
export class Heap<T> {
  #items: T[] = [];
  #compare: (a: T, b: T) => number;

  /**
   * Makes an empty heap.
   *
   * @param compare Negative when `a` must come out before `b`, as for `Array.prototype.sort`.
   */
  constructor(compare: (a: T, b: T) => number) {
    this.#compare = compare;
  }

  /** How many items the heap holds. */
  get size(): number {
    return this.#items.length;
  }

  /** Adds an item. */
  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.#compare(items[index], items[parent]) >= 0) break;
      [items[index], items[parent]] = [items[parent], items[index]];
      index = parent;
    }
  }

  /** The first item, left in place; `undefined` when empty. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Removes and returns the first item; `undefined` when empty. */
  pop(): T | undefined {
    const items = this.#items;
    const first = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return first;
    items[0] = last;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < items.length && this.#compare(items[left], items[smallest]) < 0) smallest = left;
      if (right < items.length && this.#compare(items[right], items[smallest]) < 0) {
        smallest = right;
      }
      if (smallest === index) return first;
      [items[index], items[smallest]] = [items[smallest], items[index]];
      index = smallest;
    }
  }

  /** Every item in the order `pop` would return them, leaving the heap as it is. */
  sorted(): T[] {
    return [...this.#items].sort(this.#compare);
  }

  /** Removes every item. */
  clear(): void {
    this.#items = [];
  }
}
