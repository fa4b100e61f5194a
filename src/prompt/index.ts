export { buildPrompt, buildRepairPrompt, type PromptInput, type PromptSection } from "./build.ts";
export { formatMetrics, formatNumber, truncateProgram } from "./sections.ts";
export {
  checkTemplate,
  defaultTemplateDir,
  loadTemplates,
  PLACEHOLDERS,
  renderTemplate,
  type TemplateName,
  type Templates,
} from "./templates.ts";
