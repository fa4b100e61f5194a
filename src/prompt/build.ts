/** The messages sent to a model for one proposal, and for its one repair. */
import type { FailedAttempt, Program } from "../core/types.ts";
import type { ChatMessage } from "../core/types.ts";
import {
  customSections,
  failuresSection,
  inspirationsSection,
  type PromptSection,
  parentSection,
  secondParentSection,
  specSection,
} from "./sections.ts";
import { placeholdersIn, renderTemplate, type Templates } from "./templates.ts";

export type { PromptSection };

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
  /** A second parent shown after the first (crossover). */
  secondParent?: Program;
  /** Added after the standard sections, in order. */
  sections?: readonly PromptSection[];
}

/** System message, then the user message: task, current program, other programs, failures, instructions. */
export function buildPrompt(input: PromptInput): ChatMessage[] {
  const template = input.editMode === "diff" ? input.templates.diff : input.templates.full;
  const values = {
    spec: specSection(input.spec),
    parent: parentSection(input.parent),
    secondParent: input.secondParent ? secondParentSection(input.secondParent) : "",
    inspirations: inspirationsSection(input.inspirations),
    failures: failuresSection(input.failures),
    sections: customSections(input.sections ?? []),
  };
  let user = renderTemplate(template, values);
  // A user's template from before these placeholders still gets what the strategy asked to show.
  const used = placeholdersIn(template);
  for (const name of ["secondParent", "sections"] as const) {
    if (!used.includes(name) && values[name] !== "") user += `\n\n${values[name]}`;
  }
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
