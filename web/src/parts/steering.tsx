import { useState } from "preact/hooks";
import type { SteerRequest, SteeringState } from "../../../src/server/payloads.ts";
import { steer } from "../api.ts";

/**
 * Pause and continue a live run, and give its model hints until withdrawn.
 * Each action is one event in the run's store; the run applies it before its
 * next selection. A run without a live process offers none of this.
 */
export function Steering({ runId, state }: { runId: string; state: SteeringState }) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (!state.available) {
    return <p class="muted">Steering is offered while the run's process runs.</p>;
  }
  const send = async (request: SteerRequest) => {
    setBusy(true);
    setError(null);
    try {
      await steer(runId, request);
      if (request.action === "hint") setText("");
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const active = state.hints.filter((h) => h.withdrawnAt === null);
  return (
    <div class="steering">
      <p>
        {state.paused ? (
          <>
            <span class="state interrupted">paused</span> no new proposals until you continue.{" "}
            <button type="button" class="button" disabled={busy} onClick={() => send({ action: "continue" })}>
              Continue
            </button>
          </>
        ) : (
          <button
            type="button"
            class="button secondary"
            disabled={busy}
            onClick={() => send({ action: "pause" })}
          >
            Pause
          </button>
        )}
      </p>
      <form
        class="hint-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (text.trim()) void send({ action: "hint", text });
        }}
      >
        <label for="hint">A hint for the model, added to every prompt until you withdraw it:</label>
        <textarea
          id="hint"
          name="hint"
          rows={3}
          value={text}
          onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
        />
        <button type="submit" class="button" disabled={busy || !text.trim()}>
          Add hint
        </button>
      </form>
      {active.length > 0 && (
        <ul class="hints">
          {active.map((h) => (
            <li key={h.id} data-hint={h.id}>
              <span class="hint-text">{h.text}</span>{" "}
              <button
                type="button"
                class="button secondary"
                disabled={busy}
                onClick={() => send({ action: "withdraw", hintId: h.id })}
              >
                Withdraw
              </button>
            </li>
          ))}
        </ul>
      )}
      {error && <p class="error">{error}</p>}
    </div>
  );
}
