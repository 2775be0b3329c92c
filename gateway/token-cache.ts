// A bounded map for verified tokens. Plain FIFO eviction fails on the
// gateway's access pattern: every phone presents its token once per ping
// interval, in a cycle, so a FIFO smaller than the number of phones a gateway
// sees evicts every token before it comes back and never hits. Once full, this
// admits one new key in `admitEvery` (evicting the oldest): most entries stay,
// the cache hits for about its share of the phones, and tokens of phones that
// went away still age out.
export class AdmittingCache<V> {
  private readonly map = new Map<string, V>();
  private refused = 0;

  constructor(
    readonly maxEntries: number,
    private readonly admitEvery = 16,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  /** Stores the value, unless the cache is full and this key is not in the admitted share; says whether it stored it. */
  set(key: string, value: V): boolean {
    if (this.maxEntries <= 0) return false;
    if (this.map.size >= this.maxEntries && !this.map.has(key)) {
      if (++this.refused % this.admitEvery !== 0) return false;
      this.map.delete(this.map.keys().next().value!);
    }
    this.map.set(key, value);
    return true;
  }
}
