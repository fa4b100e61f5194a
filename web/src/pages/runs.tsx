import { useState } from "preact/hooks";
import { useRuns } from "../api.ts";
import { RunsTable } from "../parts/runs-table.tsx";

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
