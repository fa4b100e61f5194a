/**
 * In-process stand-ins for the run's models, for tests: a scripted model of role
 * `task` installed where the sandbox runner puts its bridge (MODEL_BRIDGE_GLOBAL),
 * and a scripted judge. test/stress-splits.test.ts uses `answerTask` and
 * `answerJudge` for every task that declares models.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type ChatMessage,
  type JudgeContext,
  MODEL_BRIDGE_GLOBAL,
  type ModelAnswer,
  type ModelExchange,
  type ModelRequest,
} from "../../../src/task/api.ts";
import { MODES } from "../judge.ts";

/** A plausible answer of each role of the seed team: code, tests, or a review with a verdict. */
export function answerTask(request: ModelRequest): string {
  const system = request.messages.find((m) => m.role === "system")?.content ?? "";
  if (/review|verif/i.test(system))
    return "The code covers the idea and the tests exercise it.\nVERDICT: PASS";
  if (/test/i.test(system))
    return "```js\nimport assert from 'node:assert';\nassert.equal(typeof main, 'function');\n```";
  return "Here is the module.\n```js\nexport function main() {\n  return 'ok';\n}\n```";
}

/** A verdict in judge.md's format: the listed modes present with their evidence, the rest absent. */
export function verdictJson(
  present: Record<string, string> = {},
  taskSuccess = true,
  addressesJudge = "",
): string {
  const modes: Record<string, { present: boolean; evidence: string }> = {};
  for (const m of MODES) modes[m.id] = { present: m.id in present, evidence: present[m.id] ?? "" };
  return JSON.stringify({
    modes,
    task_success: taskSuccess,
    addresses_judge: { present: addressesJudge !== "", evidence: addressesJudge },
    summary: Object.keys(present).length === 0 ? "No failures." : "Some failures.",
  });
}

/** The judge's answer when a test does not script one: no failure, task done. */
export function answerJudge(_messages: ChatMessage[]): string {
  return verdictJson();
}

export const JUDGE_PROMPT = readFileSync(join(import.meta.dirname, "..", "judge.md"), "utf8");

/** A judge that answers from `answer` and keeps every request it got. */
export function fakeJudge(answer: (messages: ChatMessage[], asked: number) => string = answerJudge) {
  const requests: ChatMessage[][] = [];
  const judge: JudgeContext = {
    prompt: JUDGE_PROMPT,
    async ask(messages) {
      requests.push(messages);
      return answer(messages, requests.length - 1);
    },
  };
  return { judge, requests };
}

/**
 * Installs a model of role `task` on the global object, as the sandbox runner
 * does, answering from `answer` (a thrown error becomes a failed answer). Keeps
 * what it served, as the bridge would report it (`RunInfo.modelCalls`).
 */
export function installModel(answer: (request: ModelRequest) => string = answerTask) {
  const served: ModelExchange[] = [];
  const global = globalThis as Record<string, unknown>;
  global[MODEL_BRIDGE_GLOBAL] = async (json: string): Promise<string> => {
    const request = JSON.parse(json) as ModelRequest;
    let reply: ModelAnswer;
    try {
      const text = answer(request);
      served.push({ request, reply: text });
      reply = { ok: true, text };
    } catch (err) {
      reply = { ok: false, error: (err as Error).message };
    }
    return JSON.stringify(reply);
  };
  return {
    served,
    uninstall: () => {
      delete global[MODEL_BRIDGE_GLOBAL];
    },
  };
}
