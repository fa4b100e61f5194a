import { useEffect, useState } from "preact/hooks";
import uPlot from "uplot";
import type { RunPayload } from "../../../src/server/payloads.ts";
import { fromRows } from "../../../src/server/rows.ts";
import { getJson } from "../api.ts";
import { PALETTE } from "../format.ts";
import { Chart, type Line } from "../parts/chart.tsx";
import { RunsTable } from "../parts/runs-table.tsx";
import { bestByDollars, bestByIteration, type Table } from "../series.ts";

/** Runs side by side: their best-score curves overlaid, train solid and test dashed. */
export function ComparePage({ ids }: { ids: string[] }) {
  const [runs, setRuns] = useState<RunPayload[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    Promise.all(ids.map((id) => getJson<RunPayload>(`/api/runs/${encodeURIComponent(id)}`)))
      .then(setRuns)
      .catch((e: unknown) => setError(String(e instanceof Error ? e.message : e)));
  }, [ids.join(",")]);
  if (error) return <p class="error">{error}</p>;
  if (!runs) return <p class="muted">Loading…</p>;

  const lines: Line[] = runs.flatMap((r, i) => [
    { label: `${r.run.name} train`, color: PALETTE[i % PALETTE.length]!, stepped: true },
    { label: `${r.run.name} test`, color: PALETTE[i % PALETTE.length]!, dash: true, stepped: true },
  ]);
  const overlay = (curve: (r: RunPayload) => Table): Table =>
    uPlot.join(runs.map((r) => curve(r) as uPlot.AlignedData)) as unknown as Table;

  return (
    <section>
      <p class="crumbs">
        <a href="#/">runs</a> / compare
      </p>
      <h1>Compare {runs.length} runs</h1>
      <RunsTable runs={runs.map((r) => r.run)} />
      <div class="pair">
        <Chart
          title="best score against iterations"
          x="iteration"
          y="score (0–100)"
          lines={lines}
          table={overlay((r) => bestByIteration(fromRows(r.candidates)))}
        />
        <Chart
          title="best score against dollars"
          x="dollars"
          y="score (0–100)"
          lines={lines}
          table={overlay((r) => bestByDollars(fromRows(r.candidates), fromRows(r.calls)))}
        />
      </div>
    </section>
  );
}
