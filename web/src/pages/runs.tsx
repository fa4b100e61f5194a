import { useEffect, useState } from "preact/hooks";
import type { CompareEntry } from "../../../src/server/payloads.ts";
import { getJson, useRuns } from "../api.ts";
import { RunsTable } from "../parts/runs-table.tsx";

/** Every run under the served folders, kept current by the server's stream. */
export function RunsPage() {
  const runs = useRuns();
  const [picked, setPicked] = useState<string[]>([]);
  const compares = useCompares(runs?.length ?? 0);
  if (runs === null) return <p class="muted">Loading…</p>;
  if (runs.length === 0) return <p class="muted">No runs in the served folders yet.</p>;
  const toggle = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id]));
  return (
    <section>
      {compares.length > 0 && (
        <>
          <h1>Comparisons</h1>
          <ul class="comparisons">
            {compares.map((c) => (
              <li key={c.id} data-comparison={c.id}>
                <a href={`#/comparison/${encodeURIComponent(c.id)}`}>{c.name}</a>{" "}
                <span class="muted">
                  {c.task}: {c.strategies.join(", ")} × {c.seeds.length} seeds ({c.runs} runs)
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
      <h1>Runs</h1>
      <RunsTable runs={runs} picked={picked} onToggle={toggle} />
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

/** The comparisons (`adrs compare` folders) under the served folders, read again when the number of runs changes. */
function useCompares(runs: number): CompareEntry[] {
  const [compares, setCompares] = useState<CompareEntry[]>([]);
  useEffect(() => {
    getJson<{ compares: CompareEntry[] }>("/api/compares")
      .then((d) => setCompares(d.compares))
      .catch(() => setCompares([]));
  }, [runs]);
  return compares;
}
