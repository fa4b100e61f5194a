import type { StrategyDescription } from "../../../src/server/payloads.ts";
import { programHref, score, scoreColor } from "../format.ts";

interface IslandsPicture {
  featureDimensions: string[];
  featureBins: number;
  islands: {
    island: number;
    size: number;
    generation: number;
    bestId: string | null;
    bestScore: number | null;
    cells: { cell: number[]; programId: string; score: number }[];
  }[];
}

function isIslands(d: unknown): d is IslandsPicture {
  const v = d as Partial<IslandsPicture> | null;
  return (
    Array.isArray(v?.islands) && Array.isArray(v?.featureDimensions) && typeof v?.featureBins === "number"
  );
}

interface FrontPicture {
  workloads: string[];
  front: { id: string; score: number; leads: number; scores: number[] }[];
  merges?: { due: number; tried: number; max: number };
  gates?: { passed: number; failed: number };
}

function isFront(d: unknown): d is FrontPicture {
  const v = d as Partial<FrontPicture> | null;
  return Array.isArray(v?.workloads) && Array.isArray(v?.front);
}

interface BaselinePicture {
  name: string;
  size: number;
  seed: { id: string; score: number } | null;
  best: { id: string; score: number } | null;
}

function isBaseline(d: unknown): d is BaselinePicture {
  const v = d as Partial<BaselinePicture> | null;
  return typeof v?.size === "number" && v?.seed !== undefined && v?.best !== undefined && !("front" in (v ?? {}));
}

/** The strategy's own picture: a drawing for the shapes we know, its JSON for any other. */
export function StrategyView({ runId, picture }: { runId: string; picture: StrategyDescription | null }) {
  if (!picture) return <p class="muted">Loading…</p>;
  if (picture.error) return <p class="error">{picture.error}</p>;
  const d = picture.description;
  if (isIslands(d)) return <Islands runId={runId} d={d} />;
  if (isFront(d)) return <Front runId={runId} d={d} />;
  if (isBaseline(d)) return <Baseline runId={runId} d={d} />;
  return (
    <details open>
      <summary>{picture.strategy}: its own description</summary>
      <pre class="json">{JSON.stringify(d, null, 2)}</pre>
    </details>
  );
}

/** One MAP-Elites grid per island: the first two feature dimensions as columns and rows. */
function Islands({ runId, d }: { runId: string; d: IslandsPicture }) {
  const bins = d.featureBins;
  const [xDim, yDim] = d.featureDimensions;
  return (
    <div>
      <p class="muted">
        MAP-Elites grid per island: columns {xDim}
        {yDim ? `, rows ${yDim}` : ""}; each cell holds its best program (colour: score).
      </p>
      <div class="islands">
        {d.islands.map((island) => {
          const rows = yDim ? bins : 1;
          const cells = new Map(island.cells.map((c) => [`${c.cell[0]},${c.cell[1] ?? 0}`, c]));
          return (
            <div class="island" key={island.island} data-island={island.island}>
              <div class="island-head">
                island {island.island} · {island.size} programs · best {score(island.bestScore)}
              </div>
              <div class="grid" style={{ gridTemplateColumns: `repeat(${bins}, 1fr)` }}>
                {Array.from({ length: rows }, (_, r) => rows - 1 - r).flatMap((row) =>
                  Array.from({ length: bins }, (_, col) => {
                    const c = cells.get(`${col},${row}`);
                    return c ? (
                      <a
                        key={`${col},${row}`}
                        class="cell"
                        href={programHref(runId, c.programId)}
                        title={`${c.programId}: ${score(c.score)}`}
                        style={{ background: scoreColor(c.score) }}
                      >
                        <span class="sr">
                          {c.programId}: score {score(c.score)}
                        </span>
                      </a>
                    ) : (
                      <span key={`${col},${row}`} class="cell empty" />
                    );
                  }),
                )}
              </div>
            </div>
          );
        })}
      </div>
    </div>
  );
}

/**
 * The Pareto front over the train workloads: one row per program on it, one
 * column per workload. A cell's colour places its score between the lowest and
 * the highest on the front for that workload; the leaders of a workload are bold.
 */
function Front({ runId, d }: { runId: string; d: FrontPicture }) {
  const rows = [...d.front].sort((a, b) => b.leads - a.leads || b.score - a.score);
  const lo = d.workloads.map((_, w) => Math.min(...d.front.map((f) => f.scores[w] ?? 0)));
  const hi = d.workloads.map((_, w) => Math.max(...d.front.map((f) => f.scores[w] ?? 0)));
  return (
    <div class="front">
      <p class="muted">
        Pareto front over {d.workloads.length} train workloads: {d.front.length} programs no other beats on
        every workload. Parents are drawn by the workloads they lead (bold).
        {d.gates ? ` Minibatch gate: ${d.gates.passed} passed, ${d.gates.failed} failed.` : ""}
        {d.merges ? ` Merges tried: ${d.merges.tried} of at most ${d.merges.max}.` : ""}
      </p>
      <table>
        <thead>
          <tr>
            <th>program</th>
            <th>score</th>
            <th>leads</th>
            {d.workloads.map((w) => (
              <th key={w}>{w}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((f) => (
            <tr key={f.id} data-front={f.id}>
              <td>
                <a href={programHref(runId, f.id)}>{f.id}</a>
              </td>
              <td>{score(f.score)}</td>
              <td>{f.leads}</td>
              {d.workloads.map((w, i) => {
                const v = f.scores[i] ?? 0;
                const span = (hi[i] as number) - (lo[i] as number);
                const t = span > 0 ? (v - (lo[i] as number)) / span : 1;
                return (
                  <td
                    key={w}
                    class={v === hi[i] ? "lead" : ""}
                    style={{ background: scoreColor(20 + 80 * t), color: t > 0.5 ? "#111" : "#fff" }}
                  >
                    {score(v)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A baseline keeps no population worth drawing: where it starts from and the best it has. */
function Baseline({ runId, d }: { runId: string; d: BaselinePicture }) {
  const from = d.name === "hill-climb" ? "every child from the current best" : "every child from the seed";
  return (
    <p class="baseline">
      {d.name}: {from}; {d.size} programs.{" "}
      {d.seed ? (
        <>
          Seed <a href={programHref(runId, d.seed.id)}>{d.seed.id}</a> {score(d.seed.score)}
        </>
      ) : null}
      {d.best ? (
        <>
          {" "}
          → best <a href={programHref(runId, d.best.id)}>{d.best.id}</a> {score(d.best.score)}
        </>
      ) : null}
    </p>
  );
}
