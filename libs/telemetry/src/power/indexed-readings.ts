/**
 * A read-only map over readings kept in inventory order, sharing one key index per inventory:
 * a campus read then fills an array instead of building a 120,000-entry Map every time.
 */
export class IndexedReadings<T> implements ReadonlyMap<string, T> {
  constructor(
    private readonly index: ReadonlyMap<string, number>,
    private readonly items: readonly T[],
  ) {}

  get size(): number {
    return this.items.length;
  }

  get(key: string): T | undefined {
    const at = this.index.get(key);
    return at === undefined ? undefined : this.items[at];
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  forEach(callback: (value: T, key: string, map: ReadonlyMap<string, T>) => void, thisArg?: unknown): void {
    for (const [key, at] of this.index) callback.call(thisArg, this.items[at], key, this);
  }

  *entries(): MapIterator<[string, T]> {
    for (const [key, at] of this.index) yield [key, this.items[at]];
  }

  keys(): MapIterator<string> {
    return this.index.keys();
  }

  *values(): MapIterator<T> {
    yield* this.items;
  }

  [Symbol.iterator](): MapIterator<[string, T]> {
    return this.entries();
  }
}

/** Position of every GPU UUID and node name of an inventory, computed once per inventory object. */
const indexes = new WeakMap<object, { gpus: Map<string, number>; nodes: Map<string, number> }>();

export function inventoryIndex(inventory: {
  readonly nodes: ReadonlyArray<{ readonly name: string; readonly gpuUuids: readonly string[] }>;
}): { gpus: ReadonlyMap<string, number>; nodes: ReadonlyMap<string, number> } {
  let index = indexes.get(inventory);
  if (!index) {
    index = { gpus: new Map(), nodes: new Map() };
    for (const node of inventory.nodes) {
      index.nodes.set(node.name, index.nodes.size);
      for (const uuid of node.gpuUuids) index.gpus.set(uuid, index.gpus.size);
    }
    indexes.set(inventory, index);
  }
  return index;
}
