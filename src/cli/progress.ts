import cliProgress from "cli-progress";
import type { RunEvent } from "../core/events.ts";
import { describeMeasure } from "../engine/noise.ts";

export interface ProgressView {
  onEvent(event: RunEvent): void;
  note(line: string): void;
  close(): void;
}

export interface Tally {
  iteration: number;
  evaluations: number;
  best: number;
  costUsd: number;
  rejected: number;
  failed: number;
}

/**
 * A progress bar on a terminal; plain lines otherwise (CI, logs), one per
 * evaluated candidate, so a log shows the whole run. `from`: the counts a
 * resumed run has stored, which the line continues from.
 */
export function createProgress(
  total: number,
  from: Partial<Tally> = {},
  stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
): ProgressView {
  const tally: Tally = { iteration: 0, evaluations: 0, best: 0, costUsd: 0, rejected: 0, failed: 0, ...from };
  const line = (text: string) => stream.write(`${text}\n`);
  /** The best before the last evaluation: a noisy candidate's round may not promote it. */
  let bestBefore = tally.best;
  const status = () =>
    `best ${tally.best.toFixed(2)} | evals ${tally.evaluations} | rejected ${tally.rejected} | failed ${tally.failed} | $${tally.costUsd.toFixed(4)}`;

  const bar = stream.isTTY
    ? new cliProgress.SingleBar(
        {
          stream,
          format: "{bar} {value}/{total} iterations | {status}",
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(total, 0, { status: status() });

  const update = (text?: string) => {
    if (bar) bar.update(tally.iteration, { status: status() });
    else if (text) line(text);
  };

  return {
    onEvent(event) {
      switch (event.type) {
        case "candidate_proposed":
          tally.iteration = Math.max(tally.iteration, event.iteration);
          tally.costUsd += event.usage.costUsd;
          update();
          return;
        case "edit_rejected":
          tally.rejected++;
          update(`${event.candidateId} rejected: ${firstLine(event.reason)}`);
          return;
        case "candidate_screened":
          update(`${event.candidateId} screened out: ${firstLine(event.reason)}`);
          return;
        case "evaluation_finished": {
          tally.evaluations++;
          const e = event.evaluation;
          if (e.status !== "ok") tally.failed++;
          const improved = e.status === "ok" && e.score > tally.best;
          bestBefore = tally.best;
          if (improved) tally.best = e.score;
          update(
            e.status === "ok"
              ? `${event.candidateId} score ${e.score.toFixed(2)}${improved ? " (new best)" : ""} | ${status()}`
              : `${event.candidateId} ${e.status}: ${firstLine(e.error ?? e.feedback)}`,
          );
          return;
        }
        case "program_inserted": {
          // A noisy task's would-be best is ranked by its re-evaluations beside the incumbent (src/engine/noise.ts).
          const { noise, score } = event.program;
          if (!noise) return;
          tally.best = Math.max(bestBefore, score);
          // The seed's floor is the engine's notice.
          if (noise.incumbent)
            update(`${describeMeasure(event.program.id, noise)}: ranked ${score.toFixed(2)} | ${status()}`);
          return;
        }
        case "test_evaluated":
          update(`${event.programId} test score ${event.evaluation.score.toFixed(2)}`);
          return;
        default:
          return;
      }
    },
    note(text) {
      if (bar) {
        // Print above the bar without breaking it.
        stream.write(`\r\x1b[K${text}\n`);
        bar.update(tally.iteration, { status: status() });
      } else line(text);
    },
    close() {
      bar?.stop();
    },
  };
}

function firstLine(text: string): string {
  const first = text.split("\n", 1)[0] ?? "";
  return first.length > 160 ? `${first.slice(0, 157)}...` : first;
}
