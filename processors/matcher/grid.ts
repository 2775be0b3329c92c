// A lat/lng bucket grid: pure arithmetic from a point to an integer key, so a
// lookup costs a floor, a cosine and a Map probe instead of an H3 hash. Each
// bucket lists every item registered with a box touching it; a point's bucket
// therefore holds a superset of the items whose boxes contain it, and the
// caller's exact test decides.

/** A lat/lng box; `west` > `east` is never used: a box crossing the antimeridian has east > 180 or west < -180. */
export interface LatLngBox {
  south: number;
  north: number;
  west: number;
  east: number;
}

const RAD = Math.PI / 180;
/** Keys are row * COL_SPAN + col: exact in a double, columns never reach it (bucket ≥ 0.0002°). */
const COL_SPAN = 2 ** 21;
const MIN_BUCKET_DEG = 0.0002;
const MEMO_SIZE = 256;

/** One grid of roughly square buckets `bucketDeg` tall; rows keep buckets square by using fewer columns away from the equator. */
export class GridLevel<T> {
  /** Rows, then columns: two lookups by small integers are cheaper than one by a key too large for V8's small integers. */
  private readonly rows = new Map<number, Map<number, T[]>>();
  private readonly perDeg: number;
  /** Direct-mapped memo of colsIn (a row's cosine): pings cluster in few rows. */
  private readonly memoRow = new Float64Array(MEMO_SIZE).fill(NaN);
  private readonly memoCols = new Int32Array(MEMO_SIZE);

  constructor(readonly bucketDeg: number) {
    if (!(bucketDeg >= MIN_BUCKET_DEG)) throw new RangeError(`bucket ${bucketDeg}° is below ${MIN_BUCKET_DEG}°`);
    this.perDeg = 1 / bucketDeg;
  }

  get isEmpty(): boolean {
    return this.rows.size === 0;
  }

  /** Every item registered with a box that may contain the point (lng in [-180, 180]). */
  at(lat: number, lng: number): readonly T[] | undefined {
    const row = Math.floor((lat + 90) * this.perDeg);
    const slot = row & (MEMO_SIZE - 1);
    let cols = this.memoCols[slot]!;
    if (this.memoRow[slot] !== row) {
      cols = this.memoCols[slot] = this.colsIn(row);
      this.memoRow[slot] = row;
    }
    return this.rows.get(row)?.get(colOf(lng, cols));
  }

  /** Keys of every bucket touching any of the boxes: what `add` and `remove` take. */
  keysFor(boxes: readonly LatLngBox[]): Set<number> {
    const keys = new Set<number>();
    for (const box of boxes) {
      const south = Math.max(-90, box.south);
      const north = Math.min(90, box.north);
      // All meridians meet at a pole, and a box as wide as the world wraps onto itself.
      const ranges =
        north >= 90 || south <= -90 || box.east - box.west >= 360 ? [[-180, 180]] : lngRanges(box.west, box.east);
      const lastRow = Math.floor((north + 90) * this.perDeg);
      for (let row = Math.floor((south + 90) * this.perDeg); row <= lastRow; row++) {
        const cols = this.colsIn(row);
        for (const [west, east] of ranges) {
          const lastCol = colOf(east!, cols);
          for (let col = colOf(west!, cols); col <= lastCol; col++) keys.add(row * COL_SPAN + col);
        }
      }
    }
    return keys;
  }

  add(keys: Iterable<number>, item: T): void {
    for (const key of keys) {
      const [rowKey, col] = [Math.floor(key / COL_SPAN), key % COL_SPAN];
      let row = this.rows.get(rowKey);
      if (!row) this.rows.set(rowKey, (row = new Map()));
      const list = row.get(col);
      if (!list) row.set(col, [item]);
      else if (!list.includes(item)) list.push(item);
    }
  }

  remove(keys: Iterable<number>, item: T): void {
    for (const key of keys) {
      const [rowKey, col] = [Math.floor(key / COL_SPAN), key % COL_SPAN];
      const row = this.rows.get(rowKey);
      const list = row?.get(col);
      if (!row || !list) continue;
      const kept = list.filter((x) => x !== item);
      if (kept.length) row.set(col, kept);
      else if (row.delete(col) && row.size === 0) this.rows.delete(rowKey);
    }
  }

  /** How many (bucket, item) entries the level holds: for tests and memory accounting. */
  entries(): number {
    let n = 0;
    for (const row of this.rows.values()) for (const list of row.values()) n += list.length;
    return n;
  }

  /** Columns in a row: the row's width in buckets at its edge nearest the equator (at least one). */
  private colsIn(row: number): number {
    const low = row * this.bucketDeg - 90;
    const high = low + this.bucketDeg;
    const fromEquator = low >= 0 ? low : high <= 0 ? -high : 0;
    return Math.max(1, Math.floor(360 * Math.cos(fromEquator * RAD) * this.perDeg));
  }
}

function colOf(lng: number, cols: number): number {
  const col = Math.floor(((lng + 180) * cols) / 360);
  return col < 0 ? 0 : col >= cols ? cols - 1 : col;
}

/** A box's longitudes as one or two ranges inside [-180, 180], split at the antimeridian. */
function lngRanges(west: number, east: number): number[][] {
  if (east < -180) [west, east] = [west + 360, east + 360];
  else if (west > 180) [west, east] = [west - 360, east - 360];
  if (west < -180)
    return [
      [west + 360, 180],
      [-180, east],
    ];
  if (east > 180)
    return [
      [west, 180],
      [-180, east - 360],
    ];
  return [[west, east]];
}
