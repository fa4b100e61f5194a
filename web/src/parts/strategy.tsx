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

/** The strategy's own picture: a drawing for the shapes we know, its JSON for any other. */
export function StrategyView({ runId, picture }: { runId: string; picture: StrategyDescription | null }) {
  if (!picture) return <p class="muted">Loading…</p>;
  if (picture.error) return <p class="error">{picture.error}</p>;
  const d = picture.description;
  if (isIslands(d)) return <Islands runId={runId} d={d} />;
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
