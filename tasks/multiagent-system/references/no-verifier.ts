import { type Agent, ask, codeBlock, type Step, type TeamTrace } from "./api.ts";

// EVOLVE-BLOCK-START
/**
 * The published reward hack, kept as a reference the guard must refuse: two
 * coders and no verification, so no verification failure can be found. The
 * second coder "improves" the first one's code and the team delivers it.
 */
const CODER: Agent = {
  name: "Coder",
  role: "writes the program",
  prompt: "You write JavaScript. Only code.",
};
const POLISHER: Agent = {
  name: "Polisher",
  role: "tidies the program",
  prompt: "You tidy JavaScript. Only code.",
};

export async function runTeam(idea: string): Promise<TeamTrace> {
  const steps: Step[] = [];
  const first = await ask([
    { role: "system", content: CODER.prompt },
    { role: "user", content: `Implement in one code block:\n${idea}` },
  ]);
  steps.push({ agent: CODER.name, kind: "code", content: codeBlock(first.text), call: first.call });
  const second = await ask([
    { role: "system", content: POLISHER.prompt },
    { role: "user", content: `Tidy this code, in one code block:\n${codeBlock(first.text)}` },
  ]);
  const code = codeBlock(second.text);
  steps.push({ agent: POLISHER.name, kind: "code", content: code, call: second.call });
  return { agents: [CODER, POLISHER], steps, code };
}
// EVOLVE-BLOCK-END
