/**
 * Line charts as standalone SVG text, for a comparison's plots: no browser
 * and no library, so `adrs compare` draws them anywhere. Lines are steps (a
 * best-so-far value holds until the next improvement).
 */

export interface SvgLine {
  label: string;
  color: string;
  dash?: boolean;
  /** [x, y] in increasing x; y null leaves a gap. */
  points: [number, number | null][];
}

export interface SvgChart {
  title: string;
  x: string;
  y: string;
  lines: SvgLine[];
  width?: number;
  height?: number;
}

/** Colours that stay apart for up to eight lines (Okabe–Ito). */
export const SVG_PALETTE = [
  "#0072b2",
  "#d55e00",
  "#009e73",
  "#cc79a7",
  "#e69f00",
  "#56b4e9",
  "#000000",
  "#f0e442",
];

const MARGIN = { left: 56, right: 16, top: 32, bottom: 44 };

export function lineChart(chart: SvgChart): string {
  const width = chart.width ?? 640;
  const height = chart.height ?? 360;
  const legendHeight = 18 * chart.lines.length;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const all = chart.lines.flatMap((l) => l.points);
  const xs = all.map((p) => p[0]);
  const ys = all.flatMap((p) => (p[1] === null ? [] : [p[1]]));
  const [x0, x1] = range(xs);
  const [y0, y1] = range(ys);
  const xTicks = ticks(x0, x1);
  const yTicks = ticks(y0, y1);
  const xLo = xTicks[0]!;
  const xHi = xTicks.at(-1)!;
  const yLo = yTicks[0]!;
  const yHi = yTicks.at(-1)!;
  const px = (x: number) => MARGIN.left + ((x - xLo) / (xHi - xLo)) * plotW;
  const py = (y: number) => MARGIN.top + plotH - ((y - yLo) / (yHi - yLo)) * plotH;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + legendHeight}" viewBox="0 0 ${width} ${height + legendHeight}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14">${xml(chart.title)}</text>`,
  ];
  for (const t of yTicks) {
    const y = fmt(py(t));
    parts.push(
      `<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${label(t)}</text>`,
    );
  }
  for (const t of xTicks) {
    const x = fmt(px(t));
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 4}" stroke="#333333"/>`,
      `<text x="${x}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${label(t)}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333333"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${height - 8}" text-anchor="middle">${xml(chart.x)}</text>`,
    `<text transform="translate(14 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${xml(chart.y)}</text>`,
  );
  if (all.length === 0) {
    parts.push(
      `<text x="${MARGIN.left + plotW / 2}" y="${MARGIN.top + plotH / 2}" text-anchor="middle" fill="#777777">no data</text>`,
    );
  }
  chart.lines.forEach((line, i) => {
    for (const run of segments(line.points)) {
      const path = steps(run)
        .map(([x, y]) => `${fmt(px(x))},${fmt(py(y))}`)
        .join(" ");
      parts.push(
        `<polyline data-line="${xml(line.label)}" fill="none" stroke="${line.color}" stroke-width="2"${line.dash ? ' stroke-dasharray="6 4"' : ""} points="${path}"/>`,
      );
    }
    const ly = height + 18 * i + 6;
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + 24}" y1="${ly}" y2="${ly}" stroke="${line.color}" stroke-width="2"${line.dash ? ' stroke-dasharray="6 4"' : ""}/>`,
      `<text x="${MARGIN.left + 30}" y="${ly}" dominant-baseline="middle">${xml(line.label)}</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

/** Runs of consecutive points with a y value. */
function segments(points: [number, number | null][]): [number, number][][] {
  const out: [number, number][][] = [];
  let current: [number, number][] = [];
  for (const [x, y] of points) {
    if (y === null) {
      if (current.length) out.push(current);
      current = [];
    } else current.push([x, y]);
  }
  if (current.length) out.push(current);
  return out;
}

/** A step line through the points: each value holds until the next x. */
function steps(points: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  points.forEach(([x, y], i) => {
    if (i > 0 && points[i - 1]![1] !== y) out.push([x, points[i - 1]![1]]);
    out.push([x, y]);
  });
  return out;
}

function range(values: number[]): [number, number] {
  if (values.length === 0) return [0, 1];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (lo === hi) return [lo - (lo === 0 ? 0 : Math.abs(lo) * 0.1), hi + (hi === 0 ? 1 : Math.abs(hi) * 0.1)];
  return [lo, hi];
}

/** Round tick values (1, 2 or 5 × 10^k apart) covering [lo, hi], about five of them. */
export function ticks(lo: number, hi: number): number[] {
  const raw = (hi - lo) / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const start = Math.floor(lo / step) * step;
  const out: number[] = [];
  for (let t = start; t < hi + step - step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  if (out.length < 2) out.push(Number((start + step).toPrecision(12)));
  return out;
}

function label(v: number): string {
  return Math.abs(v) >= 1000 || Number.isInteger(v)
    ? String(Math.round(v))
    : String(Number(v.toPrecision(3)));
}

function fmt(v: number): string {
  return v.toFixed(1);
}

function xml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}
