/** The messages sent to a model for one proposal, and for its one repair. */
import type { FailedAttempt, Program } from "../core/types.ts";
import type { ChatMessage } from "../core/types.ts";
import { failuresSection, inspirationsSection, parentSection, specSection } from "./sections.ts";
import { renderTemplate, type Templates } from "./templates.ts";

export interface PromptInput {
  /** The task's spec.md. */
  spec: string;
  parent: Program;
  /** Shown in the given order: the strategy puts its top programs first, then diverse ones. */
  inspirations: Program[];
  /** The parent's recent failed children, newest first; all of them are shown. */
  failures: FailedAttempt[];
  editMode: "diff" | "full";
  templates: Templates;
}

/** System message, then the user message: task, current program, other programs, failures, instructions. */
export function buildPrompt(input: PromptInput): ChatMessage[] {
  const user = renderTemplate(input.editMode === "diff" ? input.templates.diff : input.templates.full, {
    spec: specSection(input.spec),
    parent: parentSection(input.parent),
    inspirations: inspirationsSection(input.inspirations),
    failures: failuresSection(input.failures),
  });
  return [
    { role: "system", content: renderTemplate(input.templates.system, {}) },
    { role: "user", content: user },
  ];
}

/** The conversation so far, the reply whose edit failed, and the request to fix it. */
export function buildRepairPrompt(
  messages: readonly ChatMessage[],
  reply: string,
  error: string,
  templates: Templates,
): ChatMessage[] {
  return [
    ...messages,
    { role: "assistant", content: reply },
    { role: "user", content: renderTemplate(templates.repair, { error }) },
  ];
}
