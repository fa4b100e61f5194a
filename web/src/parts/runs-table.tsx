import type { RunEntry } from "../../../src/server/payloads.ts";
import { ago, duration, runHref, score, usd } from "../format.ts";

interface Props {
  runs: RunEntry[];
  /** With these, each row gets a box to pick it for comparing. */
  picked?: string[];
  onToggle?: (id: string) => void;
}

/** One line per run: what the runs page lists and the compare page sets side by side. */
export function RunsTable({ runs, picked, onToggle }: Props) {
  return (
    <table class="runs">
      <thead>
        <tr>
          {onToggle && <th title="pick runs to compare" />}
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
            {onToggle && (
              <td>
                <input
                  type="checkbox"
                  aria-label={`compare ${r.name}`}
                  checked={picked?.includes(r.id) ?? false}
                  onChange={() => onToggle(r.id)}
                />
              </td>
            )}
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
  );
}
