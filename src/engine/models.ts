import {
  Budget,
  type ClientConfig,
  createClient,
  createReplayClient,
  Ensemble,
  type EnsembleMember,
  Ledger,
  type LlmClient,
  parseModelSpec,
  priceFor,
  Recording,
} from "../llm/index.ts";
import { loadTemplates } from "../prompt/index.ts";
import { ConfigError, MODEL_ROLES, type RunConfig } from "./config.ts";
import { LlmProposer } from "./llm-proposer.ts";
import { readRecording } from "./recording.ts";
import { TaskModels } from "./task-models.ts";

/** The model side of a run: the ensemble, the cost ledger with the dollar budget, the proposer over them, and the task's models. */
export interface Models {
  ensemble: Ensemble;
  ledger: Ledger;
  proposer: LlmProposer;
  /** What answers a task's candidates (role `task`) and judge (role `judge`), through the same ledger. */
  taskModels: TaskModels;
}

/**
 * The config with each model's price filled in from the built-in table where
 * the config gives none and the table knows one, so that a run keeps the
 * prices it started with.
 */
export function pinPrices(config: RunConfig): RunConfig {
  return {
    ...config,
    models: config.models.map((m) => {
      if (m.price) return m;
      let price: ReturnType<typeof priceFor>;
      try {
        price = priceFor(m.model);
      } catch {
        return m; // a bad spec is reported by buildModels
      }
      return price ? { ...m, price: { ...price } } : m;
    }),
  };
}

/**
 * Checks every model and builds the ensemble, the ledger and the proposer;
 * null when no model is configured (the run uses the tuner). All problems are
 * reported at once, each naming its `models.<i>` entry: an unknown provider,
 * a missing key (with the variable to set), and under `budget.usd` a model
 * with no price. A model with no price and no dollar budget is a notice.
 * With `replayFrom`, every model answers from that recorded run instead, and
 * no key is needed.
 */
export async function buildModels(
  config: RunConfig,
  options: {
    env?: Record<string, string | undefined>;
    onNotice?: (line: string) => void;
    replayFrom?: string;
  } = {},
): Promise<Models | null> {
  if (config.models.length === 0) return null;
  const env = options.env ?? process.env;
  const notice = options.onNotice ?? (() => {});
  let clientFor: (c: ClientConfig) => LlmClient = createClient;
  if (options.replayFrom) {
    const recording = new Recording(await readRecording(options.replayFrom), options.replayFrom);
    clientFor = (c) => createReplayClient(c, recording);
  }

  const problems: string[] = [];
  const members: { member: EnsembleMember; roles: readonly string[] }[] = [];
  config.models.forEach((m, i) => {
    const where = `models.${i}`;
    try {
      parseModelSpec(m.model);
    } catch (e) {
      problems.push(`${where}.model: ${(e as Error).message}`);
      return;
    }
    const price = priceFor(m.model, m.price);
    if (!price) {
      if (config.budget.usd !== undefined) {
        problems.push(
          `${where}: ${m.model} has no known price, and budget.usd needs one for every model: ` +
            `set ${where}.price ({ inputPerMTok, outputPerMTok }; 0 and 0 for a free local model)`,
        );
      } else {
        notice(
          `${m.model} has no known price: its calls are counted at $0 (set ${where}.price to count them)`,
        );
      }
    }
    const { weight, temperature, maxTokens, roles, ...transport } = m;
    try {
      members.push({
        member: {
          client: clientFor({ ...transport, env }),
          weight,
          ...(temperature === undefined ? {} : { temperature }),
          ...(maxTokens === undefined ? {} : { maxTokens }),
        },
        roles: roles ?? ["mutation", "repair"],
      });
    } catch (e) {
      problems.push(`${where}: ${(e as Error).message}`);
    }
  });
  if (problems.length > 0) throw new ConfigError(problems.join("\n"));

  const policy = { ...config.ensemble, onWarning: notice };
  const serving = (role: string) => members.filter((m) => m.roles.includes(role)).map((m) => m.member);
  const ensemble = new Ensemble(serving("mutation"), policy);
  // A role no model lists is answered by the mutation ensemble (recorded under its own role).
  const roles: Record<string, Ensemble> = {};
  for (const role of MODEL_ROLES) {
    if (role === "mutation") continue;
    const own = serving(role);
    if (own.length > 0) roles[role] = new Ensemble(own, policy);
  }
  const ledger = new Ledger(new Budget(config.budget.usd));
  const proposer = new LlmProposer(ensemble, loadTemplates(config.prompt.templateDir), config.editMode, {
    ledger,
    roles,
  });
  const taskModels = new TaskModels({ task: roles.task ?? ensemble, judge: roles.judge ?? ensemble }, ledger);
  return { ensemble, ledger, proposer, taskModels };
}
