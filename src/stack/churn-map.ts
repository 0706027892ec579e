// A Map and a Set for long-lived tables whose entries come and go quickly: the demux table, a
// listener's SYN queue, a port's bindings, a server's sockets. They are V8's Map and Set,
// rebuilt now and then.
//
// Why: V8 stores a Map's entries in a hash table that it replaces when deleted entries fill it
// up, and the replaced table keeps a pointer to its successor (for live iterators) and the
// entries it held. Once one table of the chain is in the old generation (a Map that lives
// long, or any table a full collection finds alive: full collections promote whatever is
// young), each dead old table keeps its young successor, and every entry that successor held,
// alive through the young generation's collections, until the next full collection. With
// connections coming and going every few microseconds, that made every connection's state
// survive and be promoted: 25% of everything a connection-rate run allocated (bench crr,
// --trace-gc-nvp), GC at 19% of the event loop; and the promoted garbage brings the next full
// collection, which starts the next chain. A table rebuilt into a fresh Map after as many
// deletions as it has entries, and at least every 16, ends each chain within 16 entries; the
// copy costs O(1) per deletion, amortized. (Every 256 was not enough: after a bulk transfer,
// one run in three fell back into promoting everything.)
//
// The rebuild happens on insertion, never on deletion: an iteration that deletes as it goes
// sees the Map it started on. An iteration that inserts as it goes may continue on the old copy
// (it then misses the new entries), so insert after iterating.

/** Deletions before a rebuild, at least (and at least as many as the entries). */
const REBUILD_AFTER = 16;

/** Time to rebuild: enough deletions since the last one that the copy costs O(1) each. */
function rebuildDue(deletions: number, size: number): boolean {
  return deletions >= REBUILD_AFTER && deletions >= size;
}

export class ChurnMap<K, V> implements Map<K, V> {
  #map: Map<K, V>;
  #deletions = 0;

  constructor(entries?: Iterable<readonly [K, V]>) {
    this.#map = new Map(entries);
  }

  get size(): number {
    return this.#map.size;
  }

  get [Symbol.toStringTag](): string {
    return 'ChurnMap';
  }

  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  set(key: K, value: V): this {
    if (rebuildDue(this.#deletions, this.#map.size)) {
      this.#map = new Map(this.#map);
      this.#deletions = 0;
    }
    this.#map.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    if (!this.#map.delete(key)) return false;
    this.#deletions++;
    return true;
  }

  clear(): void {
    this.#map = new Map();
    this.#deletions = 0;
  }

  forEach(callback: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.#map) callback.call(thisArg, value, key, this);
  }

  keys(): MapIterator<K> {
    return this.#map.keys();
  }

  values(): MapIterator<V> {
    return this.#map.values();
  }

  entries(): MapIterator<[K, V]> {
    return this.#map.entries();
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.#map.entries();
  }
}

export class ChurnSet<T> implements Set<T> {
  #set: Set<T>;
  #deletions = 0;

  constructor(values?: Iterable<T>) {
    this.#set = new Set(values);
  }

  get size(): number {
    return this.#set.size;
  }

  get [Symbol.toStringTag](): string {
    return 'ChurnSet';
  }

  has(value: T): boolean {
    return this.#set.has(value);
  }

  add(value: T): this {
    if (rebuildDue(this.#deletions, this.#set.size)) {
      this.#set = new Set(this.#set);
      this.#deletions = 0;
    }
    this.#set.add(value);
    return this;
  }

  delete(value: T): boolean {
    if (!this.#set.delete(value)) return false;
    this.#deletions++;
    return true;
  }

  clear(): void {
    this.#set = new Set();
    this.#deletions = 0;
  }

  forEach(callback: (value: T, value2: T, set: Set<T>) => void, thisArg?: unknown): void {
    for (const value of this.#set) callback.call(thisArg, value, value, this);
  }

  keys(): SetIterator<T> {
    return this.#set.keys();
  }

  values(): SetIterator<T> {
    return this.#set.values();
  }

  entries(): SetIterator<[T, T]> {
    return this.#set.entries();
  }

  [Symbol.iterator](): SetIterator<T> {
    return this.#set.values();
  }
}
