/**
 * The 4-connected components of a grid of 0/1 cells, as runs: each row of the grid is cut
 * into runs of equal cells, and runs of equal value that overlap between neighbouring rows
 * are joined. A finger area has few runs per row, so this costs little more than reading
 * the cells once, where a flood fill visits every cell of every component.
 */
class Runs {
  start: Int32Array;
  end: Int32Array;
  row: Int32Array;
  value: Uint8Array;
  /** Union-find parent of each run. */
  parent: Int32Array;
  count = 0;

  /**
   * Runs of the `columns` x `rows` cells of `flags`, a grid with one margin cell all round
   * (never part of a run).
   */
  constructor(flags: Uint8Array, columns: number, rows: number) {
    const stride = columns + 2;
    // Room for a few dozen runs a row; a noisier grid grows it.
    const capacity = 32 * rows;
    this.start = new Int32Array(capacity);
    this.end = new Int32Array(capacity);
    this.row = new Int32Array(capacity);
    this.value = new Uint8Array(capacity);
    this.parent = new Int32Array(capacity);
    let previousFirst = 0;
    let previousEnd = 0;
    for (let j = 1; j <= rows; j++) {
      const first = this.count;
      const base = j * stride;
      if (this.start.length - this.count < columns) this.grow(this.count + columns);
      let i = 1;
      while (i <= columns) {
        const value = flags[base + i] as number;
        const from = i;
        while (i <= columns && flags[base + i] === value) i++;
        const run = this.count++;
        this.start[run] = from;
        this.end[run] = i;
        this.row[run] = j;
        this.value[run] = value;
        this.parent[run] = run;
      }
      // Join runs overlapping a run of the previous row with the same value.
      let above = previousFirst;
      for (let run = first; run < this.count; run++) {
        while (above < previousEnd && (this.end[above] as number) <= (this.start[run] as number)) {
          above++;
        }
        for (
          let other = above;
          other < previousEnd && (this.start[other] as number) < (this.end[run] as number);
          other++
        ) {
          if (this.value[other] === this.value[run]) this.union(other, run);
        }
      }
      previousFirst = first;
      previousEnd = this.count;
    }
  }

  private grow(needed: number): void {
    const capacity = Math.max(needed, 2 * this.start.length);
    const copy = <T extends Int32Array | Uint8Array>(array: T, bigger: T): T => {
      bigger.set(array);
      return bigger;
    };
    this.start = copy(this.start, new Int32Array(capacity));
    this.end = copy(this.end, new Int32Array(capacity));
    this.row = copy(this.row, new Int32Array(capacity));
    this.value = copy(this.value, new Uint8Array(capacity));
    this.parent = copy(this.parent, new Int32Array(capacity));
  }

  find(run: number): number {
    let root = run;
    while (this.parent[root] !== root) root = this.parent[root] as number;
    let at = run;
    while (at !== root) {
      const next = this.parent[at] as number;
      this.parent[at] = root;
      at = next;
    }
    return root;
  }

  private union(a: number, b: number): void {
    const rootA = this.find(a);
    const rootB = this.find(b);
    // The earlier run stays the root, so a component's root is its first run in scan order.
    if (rootA < rootB) this.parent[rootB] = rootA;
    else if (rootB < rootA) this.parent[rootA] = rootB;
  }

  /** Per root run: its component's bounding box as [minX, maxX, minY, maxY] (others unset). */
  boxes(): Int32Array {
    const box = new Int32Array(4 * this.count);
    for (let run = 0; run < this.count; run++) {
      const root = this.find(run);
      const at = 4 * root;
      const from = this.start[run] as number;
      const to = (this.end[run] as number) - 1;
      const y = this.row[run] as number;
      if (root === run) {
        box[at] = from;
        box[at + 1] = to;
        box[at + 2] = y;
        box[at + 3] = y;
        continue;
      }
      if (from < (box[at] as number)) box[at] = from;
      if (to > (box[at + 1] as number)) box[at + 1] = to;
      if (y > (box[at + 3] as number)) box[at + 3] = y;
    }
    return box;
  }
}

/**
 * NFIQ 2's clean-up of the binarised finger area, on cell samples: light regions that do not
 * reach the image's edge are holes and become dark, then only the dark component with the
 * largest bounding box (the first on a tie) is kept. `dark` holds one flag per cell with one
 * margin cell all round; the result is 1 for the kept cells, and each margin cell copies the
 * image cell beside it, so pixels near the edge see the same area as the cells they touch.
 */
export function keepLargestDarkArea(dark: Uint8Array, columns: number, rows: number): Uint8Array {
  const stride = columns + 2;
  const filled = dark.slice();
  const light = new Runs(dark, columns, rows);
  const lightBoxes = light.boxes();
  for (let run = 0; run < light.count; run++) {
    if (light.value[run] !== 0) continue;
    const at = 4 * light.find(run);
    const touchesEdge =
      lightBoxes[at] === 1 ||
      lightBoxes[at + 1] === columns ||
      lightBoxes[at + 2] === 1 ||
      lightBoxes[at + 3] === rows;
    if (touchesEdge) continue;
    const row = (light.row[run] as number) * stride;
    filled.fill(1, row + (light.start[run] as number), row + (light.end[run] as number));
  }
  const areas = new Runs(filled, columns, rows);
  const boxes = areas.boxes();
  // Roots are first runs, so visiting roots in run order visits components in scan order.
  let kept = -1;
  let largest = 0;
  for (let run = 0; run < areas.count; run++) {
    if (areas.value[run] !== 1 || areas.parent[run] !== run) continue;
    const at = 4 * run;
    const area =
      ((boxes[at + 1] as number) - (boxes[at] as number) + 1) *
      ((boxes[at + 3] as number) - (boxes[at + 2] as number) + 1);
    if (area > largest) {
      largest = area;
      kept = run;
    }
  }
  const keep = new Uint8Array(dark.length);
  for (let run = 0; run < areas.count; run++) {
    if (kept < 0 || areas.find(run) !== kept) continue;
    const row = (areas.row[run] as number) * stride;
    keep.fill(1, row + (areas.start[run] as number), row + (areas.end[run] as number));
  }
  for (let j = 0; j < rows + 2; j++) {
    const inner = Math.min(rows, Math.max(1, j)) * stride;
    keep[j * stride] = keep[inner + 1] as number;
    keep[j * stride + columns + 1] = keep[inner + columns] as number;
  }
  for (let i = 0; i < stride; i++) {
    keep[i] = keep[stride + i] as number;
    keep[(rows + 1) * stride + i] = keep[rows * stride + i] as number;
  }
  return keep;
}
