import { type Agent, ask, type ChatMessage, codeBlock, type Step, type TeamTrace, verdictOf } from "./api.ts";

// EVOLVE-BLOCK-START
/** Rounds of coding and review before the team delivers what it has. */
const MAX_ROUNDS = 2;
const OPTIONS = { maxTokens: 2000, temperature: 0 };

const CODER: Agent = {
  name: "Coder",
  role: "writes the program",
  prompt: "You are an expert JavaScript programmer. Write clean, working code.",
};
const TESTER: Agent = {
  name: "Tester",
  role: "writes unit tests for the program",
  prompt: "You are a software tester. Write unit tests with plain assertions for the code you are given.",
};
const REVIEWER: Agent = {
  name: "Reviewer",
  role: "reviews the code and tests and decides whether the program is done",
  prompt:
    "You are a senior software engineer reviewing code. Point out bugs and missing features. " +
    "End your review with a line VERDICT: PASS if the code implements the idea, or VERDICT: FAIL if it does not.",
};

function messages(agent: Agent, request: string): ChatMessage[] {
  return [
    { role: "system", content: agent.prompt },
    { role: "user", content: request },
  ];
}

/**
 * A Coder -> Tester -> Reviewer team in a fixed order. The coder writes the
 * program, the tester writes tests for it, the reviewer reads both and gives
 * a verdict; on FAIL the coder revises once with the review, and the reviewer
 * looks again.
 */
export async function runTeam(idea: string): Promise<TeamTrace> {
  const steps: Step[] = [];
  const first = await ask(
    messages(
      CODER,
      `Write a single JavaScript module that implements this idea:\n\n${idea}\n\nReply with the code in one code block.`,
    ),
    OPTIONS,
  );
  let code = codeBlock(first.text);
  steps.push({ agent: CODER.name, kind: "code", content: code, call: first.call, to: [TESTER.name] });

  const tests = await ask(
    messages(TESTER, `Idea:\n${idea}\n\nCode:\n${code}\n\nWrite unit tests for this code in one code block.`),
    OPTIONS,
  );
  const testCode = codeBlock(tests.text);
  steps.push({ agent: TESTER.name, kind: "test", content: testCode, call: tests.call, to: [REVIEWER.name] });

  for (let round = 1; ; round++) {
    const review = await ask(
      messages(
        REVIEWER,
        `Idea:\n${idea}\n\nCode:\n${code}\n\nTests:\n${testCode}\n\nReview the code and tests.`,
      ),
      OPTIONS,
    );
    steps.push({
      agent: REVIEWER.name,
      kind: "verify",
      content: review.text.trim(),
      call: review.call,
      to: [CODER.name],
    });
    if (verdictOf(review.text) !== "FAIL" || round >= MAX_ROUNDS) break;
    const fix = await ask(
      messages(
        CODER,
        `Idea:\n${idea}\n\nYour code:\n${code}\n\nReview:\n${review.text}\n\nFix the problems the review found. Reply with the whole corrected code in one code block.`,
      ),
      OPTIONS,
    );
    code = codeBlock(fix.text);
    steps.push({ agent: CODER.name, kind: "code", content: code, call: fix.call, to: [REVIEWER.name] });
  }
  return { agents: [CODER, TESTER, REVIEWER], steps, code };
}
// EVOLVE-BLOCK-END
