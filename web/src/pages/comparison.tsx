import { useEffect, useState } from "preact/hooks";
import uPlot from "uplot";
import type { MeanCurve } from "../../../src/compare/summarise.ts";
import { show } from "../../../src/compare/table.ts";
import type { ComparePayload } from "../../../src/server/payloads.ts";
import { getJson } from "../api.ts";
import { PALETTE, runHref, score, usd } from "../format.ts";
import { Chart, type Line } from "../parts/chart.tsx";
import type { Table } from "../series.ts";

/**
 * One `adrs compare` folder: its summary (mean ± sd over seeds per strategy),
 * the strategies' mean best-so-far curves overlaid (train solid, test dashed),
 * and each of its runs, linked to the run's page.
 */
export function ComparisonPage({ id }: { id: string }) {
  const [data, setData] = useState<ComparePayload | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson<ComparePayload>(`/api/compares/${encodeURIComponent(id)}`)
      .then(setData)
      .catch((e: unknown) => setError(String(e instanceof Error ? e.message : e)));
  }, [id]);
  if (error) return <p class="error">{error}</p>;
  if (!data) return <p class="muted">Loading…</p>;
  const { summary } = data;
  const lines: Line[] = summary.byStrategy.flatMap((s, i) => [
    { label: `${s.strategy} train`, color: PALETTE[i % PALETTE.length]!, stepped: true },
    { label: `${s.strategy} test`, color: PALETTE[i % PALETTE.length]!, dash: true, stepped: true },
  ]);
  const overlay = (curve: "byIteration" | "byDollars"): Table =>
    uPlot.join(summary.byStrategy.map((s) => columns(s[curve]) as uPlot.AlignedData)) as unknown as Table;

  return (
    <section data-comparison={data.id}>
      <p class="crumbs">
        <a href="#/">runs</a> / comparison {data.name}
      </p>
      <h1>
        {summary.task}: {summary.strategies.join(", ")} over seeds {summary.seeds.join(", ")}
      </h1>
      <table class="runs strategies">
        <thead>
          <tr>
            <th>strategy</th>
            <th class="num">runs</th>
            <th class="num">best train</th>
            <th class="num">best test</th>
            <th class="num">iterations to 90 %</th>
            <th class="num">$ to 90 %</th>
            <th class="num">evaluations / hour</th>
            <th class="num">dollars</th>
          </tr>
        </thead>
        <tbody>
          {summary.byStrategy.map((s) => (
            <tr key={s.strategy} data-strategy={s.strategy}>
              <td>{s.strategy}</td>
              <td class="num">{s.runs}</td>
              <td class="num">{show(s.bestTrain, 2)}</td>
              <td class="num">{show(s.bestTest, 2)}</td>
              <td class="num">{show(s.iterationsTo90, 1)}</td>
              <td class="num">{show(s.usdTo90, 4)}</td>
              <td class="num">{show(s.evaluationsPerHour, 0)}</td>
              <td class="num">{show(s.usd, 4)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted">
        Mean ± sample standard deviation over seeds; curves are the mean best so far over each strategy's
        runs.
      </p>
      <div class="pair">
        <Chart
          title="mean best score against iterations"
          x="iteration"
          y="score (0–100)"
          lines={lines}
          table={overlay("byIteration")}
        />
        <Chart
          title="mean best score against dollars"
          x="dollars"
          y="score (0–100)"
          lines={lines}
          table={overlay("byDollars")}
        />
      </div>
      <h2>Runs</h2>
      <table class="runs">
        <thead>
          <tr>
            <th>run</th>
            <th>strategy</th>
            <th class="num">seed</th>
            <th>state</th>
            <th class="num">iterations</th>
            <th class="num">best train</th>
            <th class="num">best test</th>
            <th class="num">iterations to 90 %</th>
            <th class="num">dollars</th>
          </tr>
        </thead>
        <tbody>
          {summary.runs.map((r) => (
            <tr key={r.name} data-run-name={r.name}>
              <td>{data.runIds[r.name] ? <a href={runHref(data.runIds[r.name]!)}>{r.name}</a> : r.name}</td>
              <td>{r.strategy}</td>
              <td class="num">{r.seed}</td>
              <td>
                {r.state}
                {r.stopReason && <span class="muted"> ({r.stopReason})</span>}
              </td>
              <td class="num">{r.iterations}</td>
              <td class="num">{score(r.bestTrain)}</td>
              <td class="num">{score(r.bestTest)}</td>
              <td class="num">{r.iterationsTo90 ?? "–"}</td>
              <td class="num">{usd(r.usd)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** A mean curve as uPlot columns: x, train, test. */
function columns(curve: MeanCurve): Table {
  return [curve.map((p) => p[0]), curve.map((p) => p[1]), curve.map((p) => p[2])];
}
