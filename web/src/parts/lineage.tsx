import { type HierarchyPointNode, stratify, tree } from "d3-hierarchy";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import type { CandidateRow } from "../../../src/server/payloads.ts";
import { programHref, score, scoreColor } from "../format.ts";

const ROOT = "\u0000root";
const MARGIN = 16;

interface Props {
  runId: string;
  rows: Map<string, CandidateRow>;
  version: number;
  bestId: string | null;
}

/**
 * Every candidate under its parent, generations left to right: programs
 * coloured by score, children that failed evaluation as red crosses, rejected
 * edits as grey ones, the path to the best program drawn bold. Drawn on a
 * canvas, so a run of ten thousand candidates stays quick.
 */
export function Lineage({ runId, rows, version, bestId }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<{ node: CandidateRow; x: number; y: number } | null>(null);
  const [width, setWidth] = useState(900);

  const layout = useMemo(() => {
    const list = [...rows.values()];
    if (list.length === 0) return null;
    const ids = new Set(list.map((r) => r.id));
    const root = stratify<CandidateRow | null>()
      .id((r) => (r ? r.id : ROOT))
      .parentId((r) => (r ? (r.parentId && ids.has(r.parentId) ? r.parentId : ROOT) : null))([null, ...list]);
    root.sort((a, b) => (a.data?.iteration ?? -1) - (b.data?.iteration ?? -1));
    const leaves = root.leaves().length;
    const height = Math.max(240, Math.min(900, leaves * 6));
    const depth = root.height;
    const laid = tree<CandidateRow | null>().size([height - 2 * MARGIN, 1])(root);
    return { laid, height, depth };
  }, [version, rows]);

  useLayoutEffect(() => {
    const el = canvas.current?.parentElement;
    if (!el) return;
    setWidth(Math.max(300, el.clientWidth));
    const observer = new ResizeObserver(() => setWidth(Math.max(300, el.clientWidth)));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const place = (n: HierarchyPointNode<CandidateRow | null>, depth: number) => ({
    // The invisible root sits at depth 0; the seed and its descendants fill the width.
    x: MARGIN + ((n.depth - 1) / Math.max(1, depth - 1)) * (width - 2 * MARGIN),
    y: MARGIN + n.x,
  });

  useEffect(() => {
    const c = canvas.current;
    if (!c || !layout) return;
    const ratio = window.devicePixelRatio || 1;
    c.width = width * ratio;
    c.height = layout.height * ratio;
    c.style.width = `${width}px`;
    c.style.height = `${layout.height}px`;
    const g = c.getContext("2d");
    if (!g) return;
    g.scale(ratio, ratio);
    g.clearRect(0, 0, width, layout.height);
    const onBest = new Set<string>();
    for (let id = bestId; id; id = rows.get(id)?.parentId ?? null) onBest.add(id);
    const nodes = layout.laid.descendants().filter((n) => n.data);
    g.lineWidth = 0.6;
    g.strokeStyle = "#cbd5e1";
    g.beginPath();
    for (const n of nodes) {
      if (!n.parent?.data) continue;
      const a = place(n.parent, layout.depth);
      const b = place(n, layout.depth);
      g.moveTo(a.x, a.y);
      g.lineTo(b.x, b.y);
    }
    g.stroke();
    g.lineWidth = 2.5;
    g.strokeStyle = "#f59e0b";
    g.beginPath();
    for (const n of nodes) {
      if (!n.parent?.data || !onBest.has(n.data!.id)) continue;
      const a = place(n.parent, layout.depth);
      const b = place(n, layout.depth);
      g.moveTo(a.x, a.y);
      g.lineTo(b.x, b.y);
    }
    g.stroke();
    // One path per colour: a canvas draws ten thousand points quickly only in few strokes and fills.
    const dots = new Map<string, Path2D>();
    const failed = new Path2D();
    const rejected = new Path2D();
    const pending = new Path2D();
    for (const n of nodes) {
      const row = n.data!;
      const { x, y } = place(n, layout.depth);
      if (row.score !== null) {
        const colour = scoreColor(Math.round(row.score / 5) * 5);
        const path = dots.get(colour) ?? new Path2D();
        const r = row.id === bestId ? 5 : 2.5;
        path.moveTo(x + r, y);
        path.arc(x, y, r, 0, 2 * Math.PI);
        dots.set(colour, path);
      } else if (row.state === "proposed") {
        pending.moveTo(x + 2.5, y);
        pending.arc(x, y, 2.5, 0, 2 * Math.PI);
      } else {
        const path = row.state === "rejected" ? rejected : failed;
        path.moveTo(x - 2.5, y - 2.5);
        path.lineTo(x + 2.5, y + 2.5);
        path.moveTo(x + 2.5, y - 2.5);
        path.lineTo(x - 2.5, y + 2.5);
      }
    }
    for (const [colour, path] of dots) {
      g.fillStyle = colour;
      g.fill(path);
    }
    g.lineWidth = 1.2;
    g.strokeStyle = "#dc2626";
    g.stroke(failed);
    g.strokeStyle = "#94a3b8";
    g.stroke(rejected);
    g.lineWidth = 1;
    g.strokeStyle = "#64748b";
    g.stroke(pending);
  }, [layout, width, bestId]);

  const nearest = (ev: MouseEvent): CandidateRow | null => {
    if (!layout || !canvas.current) return null;
    const r = canvas.current.getBoundingClientRect();
    const mx = ev.clientX - r.left;
    const my = ev.clientY - r.top;
    let best: CandidateRow | null = null;
    let bestD = 64;
    for (const n of layout.laid.descendants()) {
      if (!n.data) continue;
      const p = place(n, layout.depth);
      const d = (p.x - mx) ** 2 + (p.y - my) ** 2;
      if (d < bestD) {
        bestD = d;
        best = n.data;
      }
    }
    return best;
  };

  if (!layout) return <p class="muted">No candidates yet.</p>;
  return (
    <div class="lineage">
      <canvas
        ref={canvas}
        data-nodes={rows.size}
        onMouseMove={(ev) => {
          const node = nearest(ev);
          setHover(node ? { node, x: ev.offsetX, y: ev.offsetY } : null);
        }}
        onMouseLeave={() => setHover(null)}
        onClick={(ev) => {
          const node = nearest(ev);
          if (node) location.hash = programHref(runId, node.id).slice(1);
        }}
      />
      {hover && (
        <div class="tip" style={{ left: hover.x + 12, top: hover.y + 12 }}>
          {hover.node.id} · {hover.node.model} ·{" "}
          {hover.node.score !== null
            ? `score ${score(hover.node.score)}`
            : (hover.node.status ?? hover.node.state)}
        </div>
      )}
      <p class="legend">
        <span class="dot" /> program (colour: score) <span class="cross red">×</span> failed evaluation{" "}
        <span class="cross grey">×</span> rejected edit <span class="bold-line" /> path to the best
      </p>
    </div>
  );
}
