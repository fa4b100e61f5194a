/**
 * Prompt templates: Markdown files with `{{name}}` placeholders. The defaults
 * live next to this file; a user's template folder overrides any of them by
 * holding a file of the same name.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export interface Templates {
  /** The system message. */
  system: string;
  /** The user message asking for SEARCH/REPLACE blocks. */
  diff: string;
  /** The user message asking for a whole new program. */
  full: string;
  /** The follow-up sent once when an edit could not be applied. */
  repair: string;
}

export type TemplateName = keyof Templates;

const SECTIONS = ["spec", "parent", "secondParent", "inspirations", "failures", "sections"] as const;

/** The placeholders each template may use. */
export const PLACEHOLDERS: Readonly<Record<TemplateName, readonly string[]>> = {
  system: [],
  diff: SECTIONS,
  full: SECTIONS,
  repair: ["error"],
};

// Without these the model could not do its job: no code to edit, or no error to fix.
const REQUIRED: Readonly<Record<TemplateName, readonly string[]>> = {
  system: [],
  diff: ["parent"],
  full: ["parent"],
  repair: ["error"],
};

const TEMPLATE_NAMES = Object.keys(PLACEHOLDERS) as TemplateName[];

export const defaultTemplateDir: string = join(import.meta.dirname, "templates");

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w-]*)\s*\}\}/g;

/** Placeholder names used in a template, in order of first use. */
export function placeholdersIn(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? ""))];
}

/** Throws when a template uses a placeholder it cannot have, or lacks one it needs; `source` names the file. */
export function checkTemplate(name: TemplateName, text: string, source: string): void {
  const allowed = PLACEHOLDERS[name];
  const used = placeholdersIn(text);
  const unknown = used.filter((p) => !allowed.includes(p));
  if (unknown.length > 0) {
    const known = allowed.length > 0 ? allowed.map((p) => `{{${p}}}`).join(", ") : "none";
    throw new Error(
      `${source}: unknown placeholder ${unknown.map((p) => `{{${p}}}`).join(", ")} (known in ${name}.md: ${known})`,
    );
  }
  const missing = REQUIRED[name].filter((p) => !used.includes(p));
  if (missing.length > 0) {
    throw new Error(`${source}: missing placeholder ${missing.map((p) => `{{${p}}}`).join(", ")}`);
  }
}

/**
 * The default templates, each replaced by `<templateDir>/<name>.md` when that
 * file exists. Every template is checked, so a typo in an override fails here
 * and not in the middle of a run.
 */
export function loadTemplates(templateDir?: string): Templates {
  if (templateDir !== undefined) {
    if (!existsSync(templateDir)) throw new Error(`template directory not found: ${templateDir}`);
    if (!statSync(templateDir).isDirectory())
      throw new Error(`template directory is not a directory: ${templateDir}`);
  }
  const load = (name: TemplateName): string => {
    const override = templateDir === undefined ? undefined : join(templateDir, `${name}.md`);
    const file =
      override !== undefined && existsSync(override) ? override : join(defaultTemplateDir, `${name}.md`);
    const text = readFileSync(file, "utf8").replace(/\r\n/g, "\n");
    checkTemplate(name, text, file);
    return text;
  };
  const entries = TEMPLATE_NAMES.map((name) => [name, load(name)] as const);
  return Object.fromEntries(entries) as unknown as Templates;
}

/**
 * Fill a template. A placeholder alone on its line whose value is empty takes
 * its line with it, and runs of blank template lines shrink to one, so an
 * empty section leaves no hole. Values are inserted verbatim (one pass, so
 * code containing `{{…}}` is never expanded).
 */
export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  const value = (name: string): string => {
    const v = values[name];
    if (v === undefined) throw new Error(`no value for template placeholder {{${name}}}`);
    return v;
  };
  const out: string[] = [];
  let blank = true; // so leading blank lines are dropped
  for (const line of template.replace(/\r\n/g, "\n").split("\n")) {
    const alone = /^\s*\{\{\s*([A-Za-z_][\w-]*)\s*\}\}\s*$/.exec(line);
    if (alone && value(alone[1] ?? "").trim() === "") continue;
    if (line.trim() === "") {
      if (!blank) out.push("");
      blank = true;
      continue;
    }
    out.push(line.replace(PLACEHOLDER, (_, name: string) => value(name)));
    blank = false;
  }
  while (out.length > 0 && out[out.length - 1] === "") out.pop();
  return out.join("\n");
}
