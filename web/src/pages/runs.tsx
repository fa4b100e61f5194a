import { useState } from "preact/hooks";
import { useRuns } from "../api.ts";
import { ago, duration, runHref, score, usd } from "../format.ts";

/** Every run under the served folders, kept current by the server's stream. */
export function RunsPage() {
  const runs = useRuns();
  const [picked, setPicked] = useState<string[]>([]);
  if (runs === null) return <p class="muted">Loading…</p>;
  if (runs.length === 0) return <p class="muted">No runs in the served folders yet.</p>;
  const toggle = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id]));
  return (
    <section>
      <h1>Runs</h1>
      <table class="runs">
        <thead>
          <tr>
            <th title="pick runs to compare" />
            <th>run</th>
            <th>task</th>
            <th>strategy</th>
            <th>state</th>
            <th class="num">iterations</th>
            <th class="num">evaluations</th>
            <th class="num">best train</th>
            <th class="num">best test</th>
            <th class="num">dollars</th>
            <th class="num">evaluations / hour</th>
            <th>active</th>
            <th>last event</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id} data-run={r.id}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`compare ${r.name}`}
                  checked={picked.includes(r.id)}
                  onChange={() => toggle(r.id)}
                />
              </td>
              <td>
                <a href={runHref(r.id)}>{r.name}</a>
              </td>
              <td>{r.task ?? "–"}</td>
              <td>{r.strategy}</td>
              <td>
                <span class={`state ${r.state}`}>{r.state}</span>
                {r.stopReason && <span class="muted"> ({r.stopReason})</span>}
              </td>
              <td class="num">{r.iterations}</td>
              <td class="num">{r.evaluations}</td>
              <td class="num">{score(r.best?.score)}</td>
              <td class="num">{score(r.best?.testScore)}</td>
              <td class="num">{usd(r.costUsd)}</td>
              <td class="num">{r.evaluationsPerHour.toFixed(0)}</td>
              <td>{duration(r.activeSeconds)}</td>
              <td>{ago(r.lastEventAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <a
          class={`button${picked.length < 2 ? " disabled" : ""}`}
          href={picked.length >= 2 ? `#/compare?runs=${picked.map(encodeURIComponent).join(",")}` : undefined}
        >
          Compare {picked.length >= 2 ? `${picked.length} runs` : "(pick two or more)"}
        </a>
      </p>
    </section>
  );
}
