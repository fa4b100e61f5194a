/**
 * Trusted: the strict shape of what the driver returns (driver.ts) and of the
 * team's trace inside it (api.ts). Anything off is refused with the path of the
 * field and what it got, so a team learns what to fix; nothing is coerced.
 */
import {
  type Agent,
  type CallRecord,
  type ChatMessage,
  STEP_KINDS,
  type Step,
  type StepKind,
  type TeamTrace,
} from "./api.ts";

/** Bounds that keep a trace readable for the judge and cheap to check. */
const LIMITS = {
  agents: 12,
  steps: 80,
  /** Characters of one prompt, message or step. */
  text: 40_000,
  /** Characters of the delivered code. */
  code: 60_000,
  name: 60,
} as const;

/** The driver's output, checked. */
export type Outcome =
  | { status: "done"; trace: TeamTrace; calls: CallRecord[] }
  | { status: "timeout"; error: string; calls: CallRecord[] }
  | { status: "exception"; error: string; calls: CallRecord[] };

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

class ShapeError extends Error {}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === "string") return JSON.stringify(v.length > 30 ? `${v.slice(0, 30)}…` : v);
  if (typeof v === "object") return "an object";
  return String(v);
}

function fail(path: string, what: string, got: unknown): never {
  throw new ShapeError(`${path} must be ${what}, got ${describe(got)}`);
}

function record(
  v: unknown,
  path: string,
  keys: readonly string[],
  optional: readonly string[] = [],
): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(path, "an object", v);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!keys.includes(k) && !optional.includes(k)) {
      throw new ShapeError(
        `${path} has an unknown field "${k}" (fields: ${[...keys, ...optional].join(", ")})`,
      );
    }
  }
  for (const k of keys) if (!(k in o)) throw new ShapeError(`${path}.${k} is missing`);
  return o;
}

function text(v: unknown, path: string, max: number): string {
  if (typeof v !== "string") fail(path, "a string", v);
  if (v.length > max) throw new ShapeError(`${path} has ${v.length} characters, more than ${max}`);
  return v;
}

function list(v: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(v)) fail(path, "an array", v);
  if (v.length > max) throw new ShapeError(`${path} has ${v.length} entries, more than ${max}`);
  return v;
}

/**
 * The call log. The limit is on calls that got a reply (the bridge serves at most
 * `maxCalls`); a call the bridge refused is logged with its error, so the log may
 * be longer, up to twice the limit (a longer one is a runaway, refused).
 */
function calls(v: unknown, maxCalls: number): CallRecord[] {
  const log = list(v, "calls", 2 * maxCalls).map((c, i): CallRecord => {
    const path = `calls[${i}]`;
    const o = record(c, path, ["messages"], ["reply", "error"]);
    const messages = list(o.messages, `${path}.messages`, 200).map((m, j) => {
      const mo = record(m, `${path}.messages[${j}]`, ["role", "content"]);
      if (mo.role !== "system" && mo.role !== "user" && mo.role !== "assistant") {
        fail(`${path}.messages[${j}].role`, '"system", "user" or "assistant"', mo.role);
      }
      // Requests carry whole conversations, so their bound is the trace's, not one message's.
      const role: ChatMessage["role"] = mo.role;
      return { role, content: text(mo.content, `${path}.messages[${j}].content`, LIMITS.text * 4) };
    });
    const out: CallRecord = { messages };
    if (o.reply !== undefined) out.reply = text(o.reply, `${path}.reply`, LIMITS.text * 4);
    if (o.error !== undefined) out.error = text(o.error, `${path}.error`, LIMITS.text);
    if ((out.reply === undefined) === (out.error === undefined)) {
      throw new ShapeError(`${path} must hold exactly one of reply and error`);
    }
    return out;
  });
  const replied = log.filter((c) => c.reply !== undefined).length;
  if (replied > maxCalls) {
    throw new ShapeError(
      `calls has ${replied} entries, more than ${maxCalls}, with a reply (the model serves at most ${maxCalls} calls an idea)`,
    );
  }
  return log;
}

function agents(v: unknown): Agent[] {
  const out = list(v, "trace.agents", LIMITS.agents).map((a, i): Agent => {
    const o = record(a, `trace.agents[${i}]`, ["name", "role", "prompt"]);
    const name = text(o.name, `trace.agents[${i}].name`, LIMITS.name);
    if (name.trim() === "") fail(`trace.agents[${i}].name`, "a non-empty name", name);
    return {
      name,
      role: text(o.role, `trace.agents[${i}].role`, 200),
      prompt: text(o.prompt, `trace.agents[${i}].prompt`, LIMITS.text),
    };
  });
  if (out.length === 0) throw new ShapeError("trace.agents is empty: a team has at least one agent");
  const seen = new Set<string>();
  for (const a of out) {
    if (seen.has(a.name)) throw new ShapeError(`trace.agents: the name "${a.name}" appears twice`);
    seen.add(a.name);
  }
  return out;
}

function steps(v: unknown, names: ReadonlySet<string>, log: readonly CallRecord[]): Step[] {
  const out = list(v, "trace.steps", LIMITS.steps).map((s, i): Step => {
    const path = `trace.steps[${i}]`;
    const o = record(s, path, ["agent", "kind", "content"], ["call", "to"]);
    const agent = text(o.agent, `${path}.agent`, LIMITS.name);
    if (!names.has(agent)) throw new ShapeError(`${path}.agent is "${agent}", not an agent of trace.agents`);
    if (!STEP_KINDS.includes(o.kind as StepKind))
      fail(`${path}.kind`, `one of ${STEP_KINDS.join(", ")}`, o.kind);
    const step: Step = {
      agent,
      kind: o.kind as StepKind,
      content: text(o.content, `${path}.content`, LIMITS.text),
    };
    if (o.call !== undefined) {
      const k = o.call;
      if (typeof k !== "number" || !Number.isInteger(k) || k < 0 || k >= log.length) {
        fail(`${path}.call`, `the index of a logged call (0 to ${log.length - 1})`, k);
      }
      const reply = log[k]?.reply;
      if (reply === undefined) throw new ShapeError(`${path}.call: call ${k} has no reply (it failed)`);
      // A step that cites a call says what that call answered (all of it or a part, such as a code block).
      if (!reply.includes(step.content.trim())) {
        throw new ShapeError(`${path}.content is not in the reply of call ${k} that it cites`);
      }
      step.call = k;
    }
    if (o.to !== undefined) {
      step.to = list(o.to, `${path}.to`, LIMITS.agents).map((t, j) => {
        const name = text(t, `${path}.to[${j}]`, LIMITS.name);
        if (!names.has(name))
          throw new ShapeError(`${path}.to[${j}] is "${name}", not an agent of trace.agents`);
        return name;
      });
    }
    return step;
  });
  if (out.length === 0) throw new ShapeError("trace.steps is empty");
  return out;
}

function trace(v: unknown, log: readonly CallRecord[]): TeamTrace {
  const o = record(v, "trace", ["agents", "steps", "code"]);
  const team = agents(o.agents);
  const names = new Set(team.map((a) => a.name));
  const checkedSteps = steps(o.steps, names, log);
  const code = text(o.code, "trace.code", LIMITS.code);
  if (code.trim() === "") throw new ShapeError("trace.code is empty: the team delivers no program");
  const last = checkedSteps.findLastIndex((s) => s.kind === "code");
  if (last < 0) throw new ShapeError('trace.steps has no "code" step: the delivered code must come from one');
  if (checkedSteps[last]?.content !== code) {
    throw new ShapeError(`trace.code differs from the content of the last "code" step (step ${last})`);
  }
  return { agents: team, steps: checkedSteps, code };
}

/**
 * Checks the driver's output; `maxCalls` is the task's per-idea call limit: more
 * calls with a reply, or more than twice as many entries, is not a real log.
 */
export function parseOutcome(output: unknown, maxCalls: number): Parsed<Outcome> {
  try {
    const o = record(output, "output", ["status", "calls", "elapsedMs"], ["trace", "error"]);
    const log = calls(o.calls, maxCalls);
    if (typeof o.elapsedMs !== "number" || !Number.isFinite(o.elapsedMs))
      fail("output.elapsedMs", "a number", o.elapsedMs);
    if (o.status === "done") {
      if (o.error !== undefined) throw new ShapeError('output.error is set on a "done" output');
      return { ok: true, value: { status: "done", trace: trace(o.trace, log), calls: log } };
    }
    if (o.status === "timeout" || o.status === "exception") {
      if (o.trace !== undefined) throw new ShapeError(`output.trace is set on a "${o.status}" output`);
      const error = text(o.error, "output.error", LIMITS.text);
      return {
        ok: true,
        value:
          o.status === "timeout"
            ? { status: "timeout", error, calls: log }
            : { status: "exception", error, calls: log },
      };
    }
    fail("output.status", '"done", "timeout" or "exception"', o.status);
  } catch (err) {
    if (err instanceof ShapeError) return { ok: false, error: err.message };
    throw err;
  }
}
