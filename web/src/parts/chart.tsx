import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Table } from "../series.ts";

export interface Line {
  label: string;
  color: string;
  dash?: boolean;
  /** Draw as steps (a best-so-far curve holds its value until the next best). */
  stepped?: boolean;
}

export interface ChartProps {
  title: string;
  x: string;
  y: string;
  lines: Line[];
  table: Table;
  /** x holds Unix seconds. */
  time?: boolean;
  height?: number;
}

const stepped = uPlot.paths.stepped?.({ align: 1 });

/** One uPlot chart; new data is pushed into the existing chart (no re-creation on every change). */
export function Chart({ title, x, y, lines, table, time = false, height = 220 }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = `${time}|${lines.map((l) => `${l.label}${l.color}${l.dash}${l.stepped}`).join(",")}`;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      title,
      width: Math.max(300, el.clientWidth),
      height,
      scales: { x: { time } },
      axes: [{ label: x }, { label: y }],
      series: [
        { label: x },
        ...lines.map((l) => ({
          label: l.label,
          stroke: l.color,
          width: 2,
          spanGaps: true,
          ...(l.dash ? { dash: [6, 4] } : {}),
          ...(l.stepped && stepped ? { paths: stepped } : {}),
          points: { show: false },
        })),
      ],
    };
    const chart = new uPlot(opts, table as uPlot.AlignedData, el);
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(300, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [shape, title, x, y, height]);

  useEffect(() => {
    plot.current?.setData(table as uPlot.AlignedData);
  }, [table]);

  return <div class="chart" ref={box} />;
}
