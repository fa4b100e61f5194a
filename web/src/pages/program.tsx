import { useEffect, useState } from "preact/hooks";
import type { EvaluationDetail, ProgramPayload } from "../../../src/server/payloads.ts";
import { getJson, steer } from "../api.ts";
import { programHref, runHref, score, tokens, usd } from "../format.ts";
import { Diff } from "../parts/diff.tsx";

export function ProgramPage({ runId, programId }: { runId: string; programId: string }) {
  const [p, setP] = useState<ProgramPayload | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setP(null);
    getJson<ProgramPayload>(
      `/api/runs/${encodeURIComponent(runId)}/programs/${encodeURIComponent(programId)}`,
    )
      .then(setP)
      .catch((e: unknown) => setError(String(e instanceof Error ? e.message : e)));
  }, [runId, programId]);
  if (error) return <p class="error">{error}</p>;
  if (!p) return <p class="muted">Loading…</p>;
  const c = p.candidate;
  return (
    <section>
      <p class="crumbs">
        <a href="#/">runs</a> / <a href={runHref(runId)}>run</a> / {c.id}
      </p>
      <h1>
        {c.id}{" "}
        <span class={`state ${c.score !== null ? "ok" : "bad"}`}>
          {c.state === "evaluated" ? c.status : c.state}
        </span>
      </h1>
      <dl class="facts">
        <dt>train score</dt>
        <dd>{score(c.score)}</dd>
        <dt>test score</dt>
        <dd>{score(c.testScore)}</dd>
        <dt>parent</dt>
        <dd>{c.parentId ? <a href={programHref(runId, c.parentId)}>{c.parentId}</a> : "– (the seed)"}</dd>
        <dt>children</dt>
        <dd>
          {p.children.length === 0
            ? "–"
            : p.children.map((id) => (
                <a key={id} class="chip" href={programHref(runId, id)}>
                  {id}
                </a>
              ))}
        </dd>
        <dt>iteration</dt>
        <dd>
          {c.iteration} (generation {c.generation ?? "–"}, strategy tag {c.tag})
        </dd>
        <dt>model</dt>
        <dd>{c.model}</dd>
        <dt>cost</dt>
        <dd>
          {usd(c.costUsd)} ({tokens(p.usage.inputTokens)} input, {tokens(p.usage.outputTokens)} output tokens)
        </dd>
        <dt>selection</dt>
        <dd>
          {c.vetoed ? (
            <span class="state bad">vetoed: never selected again</span>
          ) : c.score === null ? (
            "– (not a program)"
          ) : p.steerable ? (
            <Veto
              runId={runId}
              programId={c.id}
              onVetoed={() => setP({ ...p, candidate: { ...c, vetoed: true } })}
            />
          ) : (
            "may be selected"
          )}
        </dd>
        {c.reason && (
          <>
            <dt>why it failed</dt>
            <dd class="bad">{c.reason}</dd>
          </>
        )}
      </dl>

      <h2>Diff to its parent</h2>
      <Diff diff={p.diff} />

      <h2>Metrics per workload</h2>
      <Workloads title="train" e={p.evaluation} />
      {p.test && <Workloads title="test (held out)" e={p.test} />}

      <h2>Evaluator's feedback</h2>
      <pre class="feedback">{p.evaluation?.feedback || p.evaluation?.error || "–"}</pre>

      <h2>Model calls that made it</h2>
      {p.calls.length === 0 && p.prompt === "" && <p class="muted">None: the seed, or the LLM-free tuner.</p>}
      {p.calls.length === 0 && p.prompt !== "" && (
        <Call title={`${c.model}`} prompt={p.prompt} reply={p.reply} meta={`${usd(p.usage.costUsd)}`} />
      )}
      {p.calls.map((call, i) => (
        <Call
          key={i}
          title={`${call.role} · ${call.model} · ${call.outcome}`}
          prompt={call.messages.map((m) => `### ${m.role}\n\n${m.content}`).join("\n\n")}
          reply={call.reply ?? call.error ?? ""}
          meta={`${tokens(call.usage.inputTokens)} input + ${tokens(call.usage.outputTokens)} output tokens · ${usd(call.usage.costUsd)} · ${(call.durationMs / 1000).toFixed(1)} s · attempt ${call.attempt}${call.retried ? ", retried" : ""}`}
        />
      ))}

      <h2>Code</h2>
      <pre class="code">{p.code ?? "(no code: the edit was rejected)"}</pre>
    </section>
  );
}

function Veto({ runId, programId, onVetoed }: { runId: string; programId: string; onVetoed: () => void }) {
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        class="button secondary"
        onClick={() =>
          steer(runId, { action: "veto", programId }).then(onVetoed, (e: unknown) =>
            setError(e instanceof Error ? e.message : String(e)),
          )
        }
      >
        Veto: never select it again
      </button>
      {error && <span class="error"> {error}</span>}
    </>
  );
}

function Call({
  title,
  prompt,
  reply,
  meta,
}: {
  title: string;
  prompt: string;
  reply: string;
  meta: string;
}) {
  return (
    <div class="call">
      <div class="call-head">
        <b>{title}</b> <span class="muted">{meta}</span>
      </div>
      <details>
        <summary>prompt</summary>
        <pre class="prompt">{prompt}</pre>
      </details>
      <details open>
        <summary>reply</summary>
        <pre class="reply">{reply}</pre>
      </details>
    </div>
  );
}

function Workloads({ title, e }: { title: string; e: EvaluationDetail | null }) {
  if (!e) return <p class="muted">Not evaluated.</p>;
  const names = [...new Set(e.workloads.flatMap((w) => Object.keys(w.metrics)))];
  // Tasks that score only the whole split leave the per-workload score out.
  const scored = e.workloads.some((w) => w.score !== undefined);
  return (
    <div>
      <p>
        <b>{title}</b>: {e.status}, score {score(e.score)}, {(e.durationMs / 1000).toFixed(2)} s
        {e.error ? ` · ${e.error}` : ""}
      </p>
      <table class="workloads">
        <thead>
          <tr>
            <th>workload</th>
            <th>valid</th>
            {scored && <th class="num">score</th>}
            {names.map((n) => (
              <th key={n} class="num">
                {n}
              </th>
            ))}
            <th>error</th>
          </tr>
        </thead>
        <tbody>
          {e.workloads.map((w) => (
            <tr key={w.workload}>
              <td>{w.workload}</td>
              <td class={w.valid ? "ok" : "bad"}>{w.valid ? "yes" : "no"}</td>
              {scored && <td class="num">{score(w.score)}</td>}
              {names.map((n) => (
                <td key={n} class="num">
                  {w.metrics[n] === undefined ? "–" : formatMetric(w.metrics[n]!)}
                </td>
              ))}
              <td class="bad">{w.error ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const formatMetric = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(5));
