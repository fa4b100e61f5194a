/**
 * The pipeline against its bound. The engine runs against the loopback mock
 * model server, each reply delayed by a log-normal draw (a median of 10 s and
 * σ = 1, so a long tail: p95 ≈ 5 × the median, p99 ≈ 10 ×, as real models
 * vary from 5 to 120 s; scaled down 20 times), with real sandboxed
 * evaluations of txn-scheduling, at 4, 8 and 16 proposals in flight.
 *
 * The figure is the throughput of the steady part of the run (between the
 * 10th and the 90th percentile of the candidates' settle times; the start
 * fills the pipeline and the end drains it) as a fraction of what an ideal
 * pipeline reaches, by the same measure, with the same model times (the
 * delays the mock drew, in the same order) and evaluation times (the run's
 * own, under this machine's load): ideal-pipeline.ts says why the plain
 * min(proposals / mean model time, evaluations / mean evaluation time), also
 * reported, is not a fair bound for one run's sample. With an instant model,
 * evaluations per hour are the machine's ceiling for the task. */
import { rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseRunConfig } from "../src/engine/config.ts";
import { startRun } from "../src/engine/session.ts";
import { Rng } from "../src/core/rng.ts";
import { type ChatRequestBody, type MockStep, promptOf, startMockLlm } from "../test/support/mock-llm.ts";
import { withStore } from "../test/support/run-helpers.ts";
import { meanSd } from "../src/core/stats.ts";
import { idealSettleTimes, steadyRate } from "./ideal-pipeline.ts";
import { median } from "./measure.ts";
import type { BenchResult } from "./run.ts";

const TASK = "txn-scheduling";
/** 10 s scaled down 20 times. */
const MEDIAN_MS = 500;
const SIGMA = 1;
const EVALUATIONS = 2;
const RUNS = [
  { proposals: 4, iterations: 100 },
  { proposals: 8, iterations: 120 },
  { proposals: 16, iterations: 160 },
];
const INSTANT = { proposals: 8, iterations: 150 };

/**
 * An edit of the parent's SAMPLE_SIZE line that makes new code every time (a
 * comment with a counter), so no evaluation is answered from the cache.
 */
function edit(body: ChatRequestBody, n: number): string {
  const prompt = promptOf(body);
  const parent = prompt.slice(prompt.indexOf("# Current program"));
  const line = /^.*const SAMPLE_SIZE = (\d+);.*$/m.exec(parent);
  if (!line) return "I see no SAMPLE_SIZE.";
  const size = 8 + (n % 9);
  return [
    "Try another sample size.",
    "<<<<<<< SEARCH",
    line[0],
    "=======",
    `const SAMPLE_SIZE = ${size}; // variant ${n}`,
    ">>>>>>> REPLACE",
  ].join("\n");
}

export interface Measured {
  candidates: number;
  /** Model calls (mutations and repairs) per candidate. */
  callsPerCandidate: number;
  meanModelMs: number;
  meanEvaluationMs: number;
  /** Candidates per second, steady part and whole run (from the seed's settlement). */
  steady: number;
  whole: number;
  /** The steady throughput of an ideal pipeline with the same draws and evaluation times (ideal-pipeline.ts). */
  ideal: number;
  /** Mean requests held at the mock during the steady part, over `proposals`: how full the places were kept. */
  occupancy: number;
  /** Median time from a reply to the request that takes its place. */
  gapMs: number;
}

/** One run of the engine; `draws` seeds the model times (by default the number of proposals). */
export async function measure(
  proposals: number,
  iterations: number,
  delay: (rng: Rng) => number,
  draws = proposals,
): Promise<Measured> {
  const rng = new Rng(draws);
  const delays: number[] = [];
  const arrived: number[] = [];
  const mock = await startMockLlm({
    responder: (body): MockStep => {
      const delayMs = delay(rng);
      delays.push(delayMs);
      arrived.push(performance.now());
      return { text: edit(body, delays.length), delayMs };
    },
  });
  const out = join(tmpdir(), `adrs-pipeline-bench-${process.pid}-${proposals}-${iterations}`);
  rmSync(out, { recursive: true, force: true });
  const config = parseRunConfig(
    {
      task: TASK,
      models: [{ model: "openai:mock-coder", baseUrl: mock.url, maxRetries: 0 }],
      concurrency: { proposals, evaluations: EVALUATIONS },
      budget: { iterations },
      out,
      seed: proposals,
    },
    "pipeline bench",
  );
  const settledAt: number[] = [];
  let seedAt = 0;
  const session = await startRun(config, {
    env: { OPENAI_API_KEY: "bench" },
    onNotice: () => undefined,
    onEvent: (e) => {
      if (e.type !== "evaluation_finished" && e.type !== "edit_rejected" && e.type !== "candidate_screened")
        return;
      if (e.candidateId === "c000000") seedAt = performance.now();
      else settledAt.push(performance.now());
    },
  });
  await session.sandbox.ready();
  await session.sandbox.warmed();
  await session.run();
  await mock.close();
  const durations = await withStore(out, async (store) =>
    (await store.events()).flatMap((e) =>
      e.type === "evaluation_finished" && e.candidateId !== "c000000" ? [e.evaluation.durationMs] : [],
    ),
  );
  rmSync(out, { recursive: true, force: true });
  const mean = (xs: number[]) => meanSd(xs).mean ?? Number.NaN;
  const { rate, from, to } = steadyRate(settledAt);
  const replied = arrived.map((a, i) => a + (delays[i] as number));
  // How long a freed place waits for its next request: the i-th request after the first `proposals` takes the
  // place of the (i − proposals)-th reply.
  const sortedReplies = [...replied].sort((a, b) => a - b);
  const gaps = arrived.slice(proposals).map((a, i) => a - (sortedReplies[i] as number));
  const held = arrived.reduce((sum, a, i) => sum + Math.max(0, Math.min(replied[i] as number, to) - Math.max(a, from)), 0);
  return {
    candidates: settledAt.length,
    callsPerCandidate: delays.length / settledAt.length,
    meanModelMs: mean(delays),
    meanEvaluationMs: mean(durations),
    steady: rate,
    whole: (settledAt.length / ((settledAt.at(-1) as number) - seedAt)) * 1000,
    ideal: steadyRate(idealSettleTimes(proposals, delays, durations, EVALUATIONS)).rate,
    occupancy: held / (to - from) / proposals,
    gapMs: median(gaps),
  };
}

/** Log-normal with the bench's median and σ (Box–Muller from the run's RNG). */
function logNormal(rng: Rng): number {
  const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  return Math.round(MEDIAN_MS * Math.exp(SIGMA * z));
}

export default async function pipelineBench(): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  const load = () => `load ${(loadavg()[0] ?? 0).toFixed(1)} on ${EVALUATIONS} evaluations`;
  for (const { proposals, iterations } of RUNS) {
    const m = await measure(proposals, iterations, logNormal);
    const modelBound = (proposals / m.meanModelMs) * 1000;
    const evaluationBound = (EVALUATIONS / m.meanEvaluationMs) * 1000;
    const bound = Math.min(modelBound, evaluationBound);
    rows.push({
      name: `pipeline: ${proposals} proposals, log-normal replies (median ${MEDIAN_MS} ms): throughput / bound`,
      value: (m.steady / m.ideal) * 100,
      unit: "%",
      target: "≥ 90",
      note:
        `${m.steady.toFixed(1)}/s steady (${m.whole.toFixed(1)}/s whole run); the ideal pipeline with the same draws ` +
        `${m.ideal.toFixed(1)}/s; ${((m.steady / bound) * 100).toFixed(1)} % of min(proposals / mean model time, ` +
        `evaluations / mean evaluation time) = ${bound.toFixed(1)}/s (${modelBound <= evaluationBound ? "model" : "evaluation"}: ` +
        `${modelBound.toFixed(1)} from models, mean ${m.meanModelMs.toFixed(0)} ms; ${evaluationBound.toFixed(1)} from ` +
        `evaluations, mean ${m.meanEvaluationMs.toFixed(0)} ms); places held at the model ${(m.occupancy * 100).toFixed(1)} %; ` +
        `reply to next request ${m.gapMs.toFixed(0)} ms (median); ${m.candidates} candidates, ` +
        `${m.callsPerCandidate.toFixed(2)} calls each; ${load()}`,
    });
  }
  const instant = await measure(INSTANT.proposals, INSTANT.iterations, () => 0);
  rows.push({
    name: `pipeline: evaluations per hour of ${TASK} with an instant model (the machine's ceiling)`,
    value: instant.steady * 3600,
    unit: "/hour",
    note:
      `${INSTANT.proposals} proposals, ${EVALUATIONS} evaluations in flight; mean evaluation ` +
      `${instant.meanEvaluationMs.toFixed(0)} ms, bound ${((EVALUATIONS / instant.meanEvaluationMs) * 3_600_000).toFixed(0)}/hour; ${load()}`,
  });
  return rows;
}
