/**
 * Drawing MRD ROI polylines (`ROI_*` meta attributes) into RGB preview frames.
 *
 * Hand-written (no npm rasteriser reproduces it): the reference previewer draws ROIs with PIL's
 * `ImageDraw.line(points, fill, width)`, and users compare our previews with its output pixel
 * for pixel. So this follows the rasterisation of Pillow's libImaging/Draw.c (9.x) step by step:
 * - vertices are truncated to integers (C `(int)` casts);
 * - width <= 1: each segment is a Bresenham line that omits its end point, then the last vertex
 *   is set as a single point;
 * - width > 1: each segment is a filled quadrilateral (the "wide line" of Draw.c) scan-converted
 *   with float32 edge intersections, rounded inwards (ROUND_UP / ROUND_DOWN).
 * Pixels outside the frame are clipped.
 */

export interface RgbFrameTarget {
  width: number;
  height: number;
  /** RGB, 3 bytes per pixel, row-major. */
  rgb: Uint8Array;
}

type Ink = [number, number, number];

const f32 = Math.fround;

function putPixel(t: RgbFrameTarget, x: number, y: number, ink: Ink): void {
  if (x >= 0 && x < t.width && y >= 0 && y < t.height) {
    const k = 3 * (y * t.width + x);
    t.rgb[k] = ink[0];
    t.rgb[k + 1] = ink[1];
    t.rgb[k + 2] = ink[2];
  }
}

function hline(t: RgbFrameTarget, x0: number, y0: number, x1: number, ink: Ink): void {
  if (y0 < 0 || y0 >= t.height) return;
  if (x0 > x1) [x0, x1] = [x1, x0];
  if (x0 < 0) x0 = 0;
  else if (x0 >= t.width) return;
  if (x1 < 0) return;
  else if (x1 >= t.width) x1 = t.width - 1;
  for (let x = x0; x <= x1; x++) putPixel(t, x, y0, ink);
}

/** Bresenham segment from (x0,y0) towards (x1,y1), end point excluded (Draw.c `line32`). */
function line(t: RgbFrameTarget, x0: number, y0: number, x1: number, y1: number, ink: Ink): void {
  let dx = x1 - x0;
  let dy = y1 - y0;
  let xs = 1;
  let ys = 1;
  if (dx < 0) { dx = -dx; xs = -1; }
  if (dy < 0) { dy = -dy; ys = -1; }
  if (dx === 0) {
    for (let i = 0; i < dy; i++) { putPixel(t, x0, y0, ink); y0 += ys; }
  } else if (dy === 0) {
    for (let i = 0; i < dx; i++) { putPixel(t, x0, y0, ink); x0 += xs; }
  } else if (dx > dy) {
    const n = dx;
    dy += dy;
    let e = dy - dx;
    dx += dx;
    for (let i = 0; i < n; i++) {
      putPixel(t, x0, y0, ink);
      if (e >= 0) { y0 += ys; e -= dx; }
      e += dy;
      x0 += xs;
    }
  } else {
    const n = dy;
    dx += dx;
    let e = dx - dy;
    dy += dy;
    for (let i = 0; i < n; i++) {
      putPixel(t, x0, y0, ink);
      if (e >= 0) { x0 += xs; e -= dy; }
      e += dx;
      y0 += ys;
    }
  }
}

// Draw.c's symmetric rounding; the +-0.5 is a float (0.5F) so float inputs stay float.
function roundUpF(f: number): number {
  return f >= 0 ? Math.floor(f32(f + 0.5)) : -Math.floor(f32(Math.abs(f) + 0.5));
}
function roundDownF(f: number): number {
  return f >= 0 ? Math.ceil(f32(f - 0.5)) : -Math.ceil(f32(Math.abs(f) - 0.5));
}
function roundUpD(f: number): number {
  return f >= 0 ? Math.floor(f + 0.5) : -Math.floor(Math.abs(f) + 0.5);
}
function roundDownD(f: number): number {
  return f >= 0 ? Math.ceil(f - 0.5) : -Math.ceil(Math.abs(f) - 0.5);
}

interface Edge {
  x0: number;
  y0: number;
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
  dx: number; // float32
}

function makeEdge(x0: number, y0: number, x1: number, y1: number): Edge {
  return {
    x0, y0,
    xmin: Math.min(x0, x1), xmax: Math.max(x0, x1),
    ymin: Math.min(y0, y1), ymax: Math.max(y0, y1),
    dx: y0 === y1 ? 0 : f32(f32(x1 - x0) / (y1 - y0)),
  };
}

/** Intersection of an edge with scan line y, in float32 as Draw.c. */
function edgeX(e: Edge, y: number): number {
  return f32(f32(f32(y - e.y0) * e.dx) + e.x0);
}

/** Filled polygon, Draw.c `polygon_generic` without alpha blending. */
function polygon(t: RgbFrameTarget, edges: Edge[], ink: Ink): void {
  let ymin = t.height - 1;
  let ymax = 0;
  const table: Edge[] = [];
  for (const e of edges) {
    if (ymin > e.ymin) ymin = e.ymin;
    if (ymax < e.ymax) ymax = e.ymax;
    if (e.ymin === e.ymax) {
      hline(t, e.xmin, e.ymin, e.xmax, ink);
      continue;
    }
    table.push(e);
  }
  if (ymin < 0) ymin = 0;
  if (ymax > t.height) ymax = t.height;
  const xx = new Float32Array(table.length * 2);
  for (; ymin <= ymax; ymin++) {
    let j = 0;
    for (let i = 0; i < table.length; i++) {
      const cur = table[i];
      if (ymin >= cur.ymin && ymin <= cur.ymax) {
        xx[j++] = edgeX(cur, ymin);
        if (ymin === cur.ymax && ymin < ymax) {
          xx[j] = xx[j - 1];
          j++;
        } else if (cur.dx !== 0 && Math.round(xx[j - 1]) === xx[j - 1]) {
          for (let k = 0; k < i; k++) {
            const other = table[k];
            if ((cur.dx > 0 && other.dx <= 0) || (cur.dx < 0 && other.dx >= 0)) continue;
            if (((ymin === cur.ymin && ymin === other.ymin) || (ymin === cur.ymax && ymin === other.ymax)) &&
                xx[j - 1] === edgeX(other, ymin)) {
              const offset = ymin === ymax ? -1 : 1;
              const adj = edgeX(cur, ymin + offset);
              const adjOther = edgeX(other, ymin + offset);
              if (ymin === cur.ymax) {
                xx[k] = cur.dx > 0 ? Math.max(adj, adjOther) + 1 : Math.min(adj, adjOther) - 1;
              } else {
                xx[k] = cur.dx > 0 ? Math.min(adj, adjOther) : Math.max(adj, adjOther) + 1;
              }
              break;
            }
          }
        }
      }
    }
    const row = Array.from(xx.subarray(0, j)).sort((a, b) => a - b);
    for (let i = 1; i < j; i += 2) hline(t, roundUpF(row[i - 1]), ymin, roundDownF(row[i]), ink);
  }
}

/** Draw.c `ImagingDrawWideLine`: one segment as a filled quadrilateral. */
function wideLine(t: RgbFrameTarget, x0: number, y0: number, x1: number, y1: number, width: number, ink: Ink): void {
  const dx = x1 - x0;
  const dy = y1 - y0;
  if (dx === 0 && dy === 0) {
    putPixel(t, x0, y0, ink);
    return;
  }
  const big = Math.hypot(dx, dy);
  const small = (width - 1) / 2;
  const ratioMax = roundUpD(small) / big;
  const ratioMin = roundDownD(small) / big;
  const dxmin = roundDownD(ratioMin * dy);
  const dxmax = roundDownD(ratioMax * dy);
  const dymin = roundDownD(ratioMin * dx);
  const dymax = roundDownD(ratioMax * dx);
  const v = [
    [x0 - dxmin, y0 + dymax],
    [x1 - dxmin, y1 + dymax],
    [x1 + dxmax, y1 - dymin],
    [x0 + dxmax, y0 - dymin],
  ];
  polygon(t, [
    makeEdge(v[0][0], v[0][1], v[1][0], v[1][1]),
    makeEdge(v[1][0], v[1][1], v[2][0], v[2][1]),
    makeEdge(v[2][0], v[2][1], v[3][0], v[3][1]),
    makeEdge(v[3][0], v[3][1], v[0][0], v[0][1]),
  ], ink);
}

/**
 * Draw a polyline through (xs[i], ys[i]) in pixel units ((0,0) = top-left pixel) with the given
 * RGB colour (0..255 each) and line width (PIL semantics: `int(thickness)`, <= 1 is a thin line).
 */
export function drawPolyline(t: RgbFrameTarget, xs: ArrayLike<number>, ys: ArrayLike<number>, colour: [number, number, number], width: number): void {
  const n = Math.min(xs.length, ys.length);
  if (n === 0) return;
  const ink: Ink = [colour[0] & 255, colour[1] & 255, colour[2] & 255];
  const w = Math.trunc(width);
  const ix = (k: number) => Math.trunc(xs[k]);
  const iy = (k: number) => Math.trunc(ys[k]);
  if (w <= 1) {
    for (let i = 0; i < n - 1; i++) line(t, ix(i), iy(i), ix(i + 1), iy(i + 1), ink);
    if (n >= 2) putPixel(t, ix(n - 1), iy(n - 1), ink);
  } else {
    for (let i = 0; i < n - 1; i++) wideLine(t, ix(i), iy(i), ix(i + 1), iy(i + 1), w, ink);
  }
}
