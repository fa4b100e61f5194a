import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { CallRow, StrategyDescription } from "../../../src/server/payloads.ts";
import { getJson, type RunData, useRun, useThrottled } from "../api.ts";
import { ago, duration, PALETTE, programHref, score, scoreSpread, tokens, usd } from "../format.ts";
import { Chart, type Line } from "../parts/chart.tsx";
import { Lineage } from "../parts/lineage.tsx";
import { Steering } from "../parts/steering.tsx";
import { StrategyView } from "../parts/strategy.tsx";
import { bestByDollars, bestByIteration, costOverTime, throughput } from "../series.ts";

/** The best-so-far curves: train solid, held-out test dashed. */
const BEST_LINES: Line[] = [
  { label: "train", color: PALETTE[0]!, stepped: true },
  { label: "test", color: PALETTE[1]!, dash: true, stepped: true },
];

/** Candidates listed at the foot of the page, newest first. */
const LISTED = 60;

export function RunPage({ id }: { id: string }) {
  const { data, error } = useRun(id);
  if (error) return <p class="error">{error}</p>;
  if (!data) return <p class="muted">Loading…</p>;
  return <Run id={id} data={data} />;
}

function Run({ id, data }: { id: string; data: RunData }) {
  const { run } = data;
  const rows = data.candidates;
  // Curves and the lineage are redrawn at most once a second; the rows below follow every change.
  const drawn = useThrottled(data.version, 1000);
  const byIteration = useMemo(() => bestByIteration(rows.values()), [drawn]);
  const byDollars = useMemo(() => bestByDollars(rows.values(), data.calls), [drawn]);
  const byModel = useMemo(() => costOverTime(data.calls, "model"), [drawn]);
  const byRole = useMemo(() => costOverTime(data.calls, "role"), [drawn]);
  const rate = useMemo(() => throughput(rows.values()), [drawn]);
  const picture = useStrategy(id, run.programs);
  const last = data.sessions.at(-1);

  return (
    <section>
      <p class="crumbs">
        <a href="#/">runs</a> / {run.name}
      </p>
      <h1>
        {run.name} <span class={`state ${run.state}`}>{run.state}</span>
      </h1>
      <dl class="facts">
        <dt>task</dt>
        <dd>{run.task ?? "–"}</dd>
        <dt>strategy</dt>
        <dd>{run.strategy}</dd>
        <dt>iterations</dt>
        <dd>{run.iterations}</dd>
        <dt>evaluations</dt>
        <dd>{run.evaluations}</dd>
        <dt>best</dt>
        <dd>
          {run.best ? (
            <a href={programHref(id, run.best.id)}>
              {run.best.id}: train {scoreSpread(run.best.score, run.best.spread)}, test{" "}
              {score(run.best.testScore)}
            </a>
          ) : (
            "–"
          )}
        </dd>
        <dt>train–test gap</dt>
        <dd class={`drift${run.drift?.alarming ? " alarming" : ""}`}>
          {run.drift
            ? `${score(run.drift.gap)} points${run.drift.alarming ? `: past the drift alarm of ${run.drift.alarm}` : ` (alarm at ${run.drift.alarm})`}`
            : "–"}
        </dd>
        <dt>spent</dt>
        <dd>{usd(run.costUsd)}</dd>
        <dt>throughput</dt>
        <dd>
          {run.evaluationsPerHour.toFixed(0)} evaluations / hour over {duration(run.activeSeconds)}
        </dd>
        <dt>stop reason</dt>
        <dd class="stop-reason">
          {last?.reason
            ? `${last.reason}${last.detail ? `: ${last.detail}` : ""}`
            : run.state === "interrupted"
              ? "killed (no stop event)"
              : "–"}
        </dd>
        <dt>last event</dt>
        <dd>{ago(run.lastEventAt)}</dd>
      </dl>

      <h2>Steering</h2>
      <Steering runId={id} state={data.steering} />

      <h2>Best score</h2>
      <div class="pair">
        <Chart
          title="best score against iterations"
          x="iteration"
          y="score (0–100)"
          lines={BEST_LINES}
          table={byIteration}
        />
        <Chart
          title="best score against dollars"
          x="dollars"
          y="score (0–100)"
          lines={BEST_LINES}
          table={byDollars}
        />
      </div>

      <h2>Strategy: {run.strategy}</h2>
      <StrategyView runId={id} picture={picture} />

      <h2>Lineage</h2>
      <Lineage runId={id} rows={rows} version={drawn} bestId={run.best?.id ?? null} />

      <h2>Cost</h2>
      <div class="pair">
        <Chart
          title="dollars over time, by model"
          x="time"
          y="dollars"
          time
          lines={byModel.names.map((n, i) => ({ label: n, color: PALETTE[i % PALETTE.length]! }))}
          table={byModel.table}
        />
        <Chart
          title="dollars over time, by role"
          x="time"
          y="dollars"
          time
          lines={byRole.names.map((n, i) => ({ label: n, color: PALETTE[(i + 3) % PALETTE.length]! }))}
          table={byRole.table}
        />
      </div>
      <Spend calls={data.calls} />

      <h2>Throughput</h2>
      <Chart
        title="evaluations per hour"
        x="time"
        y="evaluations / hour"
        time
        lines={[{ label: "evaluations / hour", color: PALETTE[2]!, stepped: true }]}
        table={rate}
        height={180}
      />

      <h2>Latest candidates</h2>
      <Candidates id={id} data={data} />
    </section>
  );
}

/** The strategy's picture, fetched again (at most every two seconds) when the population grows. */
function useStrategy(id: string, programs: number): StrategyDescription | null {
  const [picture, setPicture] = useState<StrategyDescription | null>(null);
  const fetched = useRef({ at: 0, programs: -1 });
  useEffect(() => {
    const due = fetched.current.at + 2000 - Date.now();
    if (programs === fetched.current.programs) return;
    const timer = window.setTimeout(
      () => {
        fetched.current = { at: Date.now(), programs };
        getJson<StrategyDescription>(`/api/runs/${encodeURIComponent(id)}/strategy`)
          .then(setPicture)
          .catch((e: unknown) => setPicture({ strategy: "?", description: null, error: String(e) }));
      },
      Math.max(0, due),
    );
    return () => window.clearTimeout(timer);
  }, [id, programs]);
  return picture;
}

function Spend({ calls }: { calls: CallRow[] }) {
  const sums = (key: "model" | "role") => {
    const m = new Map<
      string,
      { calls: number; attempts: number; failed: number; input: number; output: number; usd: number }
    >();
    for (const c of calls) {
      const s = m.get(c[key]) ?? { calls: 0, attempts: 0, failed: 0, input: 0, output: 0, usd: 0 };
      // Each row is one HTTP attempt; the one that ended its call is not marked retried.
      s.attempts++;
      if (!c.retried) s.calls++;
      if (!["ok", "empty", "truncated", "unknown"].includes(c.outcome)) s.failed++;
      s.input += c.usage.inputTokens;
      s.output += c.usage.outputTokens;
      s.usd += c.usage.costUsd;
      m.set(c[key], s);
    }
    return [...m.entries()].sort((a, b) => b[1].usd - a[1].usd);
  };
  if (calls.length === 0) return <p class="muted">No model calls (the LLM-free tuner proposes).</p>;
  return (
    <table class="spend">
      <thead>
        <tr>
          <th />
          <th class="num">calls</th>
          <th class="num">attempts</th>
          <th class="num">failed attempts</th>
          <th class="num">input tokens</th>
          <th class="num">output tokens</th>
          <th class="num">dollars</th>
        </tr>
      </thead>
      <tbody>
        {(["model", "role"] as const).flatMap((key) =>
          sums(key).map(([name, s]) => (
            <tr key={`${key}:${name}`}>
              <td>
                {key} <b>{name}</b>
              </td>
              <td class="num">{s.calls}</td>
              <td class="num">{s.attempts}</td>
              <td class="num">{s.failed}</td>
              <td class="num">{tokens(s.input)}</td>
              <td class="num">{tokens(s.output)}</td>
              <td class="num">{usd(s.usd)}</td>
            </tr>
          )),
        )}
      </tbody>
    </table>
  );
}

function Candidates({ id, data }: { id: string; data: RunData }) {
  const latest = useMemo(
    () => [...data.candidates.values()].sort((a, b) => b.iteration - a.iteration).slice(0, LISTED),
    [data.version],
  );
  return (
    <table class="candidates">
      <thead>
        <tr>
          <th>candidate</th>
          <th>parent</th>
          <th>model</th>
          <th>outcome</th>
          <th class="num">train</th>
          <th class="num">test</th>
          <th class="num">dollars</th>
        </tr>
      </thead>
      <tbody>
        {latest.map((c) => (
          <tr key={c.id} data-candidate={c.id} class={c.vetoed ? "vetoed" : undefined}>
            <td>
              <a href={programHref(id, c.id)}>{c.id}</a>
            </td>
            <td>{c.parentId ? <a href={programHref(id, c.parentId)}>{c.parentId}</a> : "–"}</td>
            <td>{c.model}</td>
            <td
              class={c.score !== null ? "ok" : c.state === "proposed" ? "muted" : "bad"}
              title={c.reason ?? ""}
            >
              {c.state === "evaluated" ? c.status : c.state}
            </td>
            <td class="num">{scoreSpread(c.score, c.spread)}</td>
            <td class="num">{score(c.testScore)}</td>
            <td class="num">{usd(c.costUsd)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
