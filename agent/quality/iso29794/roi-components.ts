/** Marks the margin cells, which never match a component's value and so bound every flood. */
const MARGIN = 2;

/**
 * Visits the 4-connected components of cells where `flags` equals `value` (0 or 1), inside
 * a grid of `columns` x `rows` cells bordered by one margin cell set to MARGIN, in scan
 * order of their first cell. During a visit the component's cells are the first `size`
 * entries of `stack`; `touchesEdge` is whether it reaches the outermost image cells.
 */
function forEachComponent(
  flags: Uint8Array,
  columns: number,
  rows: number,
  value: number,
  stack: Int32Array,
  rowOf: Int32Array,
  visit: (size: number, touchesEdge: boolean, boxArea: number) => void,
): void {
  const stride = columns + 2;
  // Visited cells are overwritten with MARGIN in a copy, so one load tests both.
  const open = flags.slice();
  for (let j = 1; j <= rows; j++) {
    for (let i = 1; i <= columns; i++) {
      const seed = j * stride + i;
      if (open[seed] !== value) continue;
      open[seed] = MARGIN;
      stack[0] = seed;
      rowOf[0] = j;
      let size = 1;
      let minX = i;
      let maxX = i;
      let minY = j;
      let maxY = j;
      for (let head = 0; head < size; head++) {
        const at = stack[head] as number;
        const y = rowOf[head] as number;
        const x = at - y * stride;
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
        // The margin never equals `value`, so no neighbour needs a bounds check.
        if (open[at - 1] === value) {
          open[at - 1] = MARGIN;
          rowOf[size] = y;
          stack[size++] = at - 1;
        }
        if (open[at + 1] === value) {
          open[at + 1] = MARGIN;
          rowOf[size] = y;
          stack[size++] = at + 1;
        }
        if (open[at - stride] === value) {
          open[at - stride] = MARGIN;
          rowOf[size] = y - 1;
          stack[size++] = at - stride;
        }
        if (open[at + stride] === value) {
          open[at + stride] = MARGIN;
          rowOf[size] = y + 1;
          stack[size++] = at + stride;
        }
      }
      const touchesEdge = minX === 1 || minY === 1 || maxX === columns || maxY === rows;
      visit(size, touchesEdge, (maxX - minX + 1) * (maxY - minY + 1));
    }
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
  for (let i = 0; i < stride; i++) {
    filled[i] = MARGIN;
    filled[(rows + 1) * stride + i] = MARGIN;
  }
  for (let j = 1; j <= rows; j++) {
    filled[j * stride] = MARGIN;
    filled[j * stride + columns + 1] = MARGIN;
  }
  const stack = new Int32Array(columns * rows);
  const rowOf = new Int32Array(columns * rows);
  forEachComponent(filled, columns, rows, 0, stack, rowOf, (size, touchesEdge) => {
    if (touchesEdge) return;
    for (let i = 0; i < size; i++) filled[stack[i] as number] = 1;
  });
  const keep = new Uint8Array(dark.length);
  let largest = 0;
  let kept = new Int32Array(0);
  forEachComponent(filled, columns, rows, 1, stack, rowOf, (size, _touchesEdge, boxArea) => {
    if (boxArea <= largest) return;
    largest = boxArea;
    kept = stack.slice(0, size);
  });
  for (const at of kept) keep[at] = 1;
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
