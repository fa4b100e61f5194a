import type { Rng } from "../core/rng.ts";
import { findEvolveBlocks } from "../edit/blocks.ts";
import { unifiedDiff } from "../edit/diff.ts";
import type { Proposal, ProposalContext, Proposer } from "./proposer.ts";

/** A numeric literal the tuner may change. Offsets index into the code it was found in. */
export interface NumericLiteral {
  start: number;
  end: number;
  /** 1-based line. */
  line: number;
  /** The literal as written (`0.25`, `1_000`, `3e-4`). */
  text: string;
  value: number;
  /** Written without a decimal point or exponent: it stays an integer. */
  integer: boolean;
  /** The name it is assigned to on its line (`const CANDIDATES = 10`, `alpha: 0.5`), if any. */
  label: string | null;
}

export interface TunerOptions {
  /** Starting step in log space: a literal is multiplied by exp(sigma · N(0, 1)). */
  sigma?: number;
  minSigma?: number;
  maxSigma?: number;
  /** At most this many literals change per child (at least one). */
  maxChanges?: number;
}

const TUNER_DEFAULTS = { sigma: 0.2, minSigma: 0.02, maxSigma: 1, maxChanges: 3 } as const;

/**
 * The LLM-free proposer: an evolution strategy over the numeric constants in the
 * parent's EVOLVE-BLOCKs. Each child moves one to three of them by a log-normal
 * step, which scales with the literal's magnitude and never flips its sign.
 * Everything random comes from `ctx.rng`, so a seed reproduces the child.
 */
export class TunerProposer implements Proposer {
  private readonly options: Required<TunerOptions>;

  constructor(options: TunerOptions = {}) {
    this.options = {
      sigma: options.sigma ?? TUNER_DEFAULTS.sigma,
      minSigma: options.minSigma ?? TUNER_DEFAULTS.minSigma,
      maxSigma: options.maxSigma ?? TUNER_DEFAULTS.maxSigma,
      maxChanges: Math.max(1, Math.floor(options.maxChanges ?? TUNER_DEFAULTS.maxChanges)),
    };
  }

  async propose(ctx: ProposalContext): Promise<Proposal> {
    ctx.signal?.throwIfAborted();
    const parentCode = ctx.parent.code;
    let literals: NumericLiteral[];
    try {
      literals = findNumericLiterals(parentCode);
    } catch (e) {
      return reject(`cannot find the EVOLVE-BLOCKs of the parent: ${(e as Error).message}`);
    }
    if (literals.length === 0) {
      return reject(
        "no numeric literal to tune inside the EVOLVE-BLOCK regions (strings, comments, array indices, case labels and the integers 0 and 1 are left alone)",
      );
    }

    const sigma = stepSize(ctx, this.options);
    const count = 1 + ctx.rng.int(Math.min(this.options.maxChanges, literals.length));
    const chosen = ctx.rng
      .shuffle(literals.map((_, i) => i))
      .slice(0, count)
      .sort((a, b) => a - b)
      .map((i) => literals[i] as NumericLiteral);
    const changes = chosen.map((literal) => ({ literal, text: perturb(literal, sigma, ctx.rng) }));

    let code = parentCode;
    // Back to front, so earlier offsets stay valid while splicing.
    for (const { literal, text } of [...changes].reverse()) {
      code = code.slice(0, literal.start) + text + code.slice(literal.end);
    }
    const reply = changes
      .map(({ literal, text }) => `${literal.label ?? `line ${literal.line}:`} ${literal.text} → ${text}`)
      .join("; ");
    return {
      code,
      diff: unifiedDiff(parentCode, code),
      model: "tuner",
      prompt: "",
      reply: `${reply} (σ ${sigma.toFixed(3)})`,
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    };
  }
}

function reject(reason: string): Proposal {
  return {
    code: null,
    diff: "",
    rejection: reason,
    model: "tuner",
    prompt: "",
    reply: "",
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
  };
}

/**
 * The step size by the 1/5th success rule, from the evidence the context holds:
 * the parent's children among the inspirations that beat it are successes; those
 * that did not, and the parent's recent failed children, are failures. Each success
 * widens the step by 1.5×, each failure narrows it by 1.5^(1/4), so the step stays put
 * at one success in five. The context shows only part of the parent's children
 * (inspirations favour good ones), so this is a nudge, not a faithful success rate.
 */
export function stepSize(
  ctx: Pick<ProposalContext, "parent" | "inspirations" | "failures">,
  options: TunerOptions = {},
): number {
  const base = options.sigma ?? TUNER_DEFAULTS.sigma;
  const min = options.minSigma ?? TUNER_DEFAULTS.minSigma;
  const max = options.maxSigma ?? TUNER_DEFAULTS.maxSigma;
  let successes = 0;
  let failures = ctx.failures.length;
  for (const p of ctx.inspirations) {
    if (p.parentId !== ctx.parent.id) continue;
    if (p.score > ctx.parent.score) successes++;
    else failures++;
  }
  const sigma = base * 1.5 ** (successes - failures / 4);
  return Math.min(max, Math.max(min, sigma));
}

function perturb(literal: NumericLiteral, sigma: number, rng: Rng): string {
  const z = rng.normal();
  const x = literal.value * Math.exp(sigma * z);
  if (literal.integer) {
    let n = Math.round(x);
    // A small step on a small integer rounds back to itself: move one unit the way the draw pointed.
    if (n === literal.value) n += z >= 0 ? 1 : -1;
    // Integers 0 and 1 are never tuned, so a constant that fell to 1 would be frozen for good.
    if (n < 2) n = literal.value === 2 ? 3 : 2;
    return String(n);
  }
  const text = formatFloat(x, literal.text);
  if (Number(text) !== literal.value) return text;
  return formatFloat(literal.value * Math.exp(z >= 0 ? sigma : -sigma), literal.text, 6);
}

/** Enough significant digits to show the move, never fewer than the literal had; a float stays float-looking. */
function formatFloat(x: number, original: string, minDigits = 3): string {
  const mantissa = original.replace(/_/g, "").split(/[eE]/)[0] ?? "";
  const written = mantissa.replace(".", "").replace(/^0+/, "").length;
  const digits = Math.min(15, Math.max(minDigits, written));
  const s = String(Number(x.toPrecision(digits)));
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

// ---- finding literals ----

type TokenKind = "number" | "name" | "punct" | "string";

interface Token {
  kind: TokenKind;
  start: number;
  end: number;
  text: string;
}

/** After these words a `/` starts a regular expression, not a division. */
const REGEX_AFTER_WORDS = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);

const NUMBER =
  /(?:0[xX][\da-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?)n?/y;
// Lone surrogates count as name characters, so digits inside astral-plane names stay part of the name.
const NAME_START = /[\p{ID_Start}$_\ud800-\udfff]/u;
const NAME_PART = /[\p{ID_Continue}$\ud800-\udfff]|\u200c|\u200d/u;

/**
 * The numeric literals of `code` that the tuner may change: inside the EVOLVE-BLOCK
 * regions (the whole file when there are none), outside strings, template text,
 * regular expressions and comments. Left alone on purpose: array indices (`a[2]`),
 * `case` labels, hex/octal/binary and bigint literals, zero (a multiplicative step
 * cannot move it) and the integers 0 and 1, which are nearly always structural
 * (loop starts, `+ 1`, `length - 1`) rather than tuning knobs; write `1.0` to make
 * a one tunable, and the tuner keeps the integers it changes at 2 or more so they
 * stay tunable. A sign is never part of the literal, so negative constants stay negative.
 *
 * Throws the edit layer's BlockMarkerError when the markers do not pair up.
 */
export function findNumericLiterals(code: string): NumericLiteral[] {
  const blocks = findEvolveBlocks(code);
  const lineStarts = [0];
  for (let i = 0; i < code.length; i++) if (code[i] === "\n") lineStarts.push(i + 1);
  const lineOf = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const inBlocks = (line: number) =>
    blocks.length === 0 || blocks.some((b) => line > b.startLine && line < b.endLine);

  const tokens = tokenize(code);
  const literals: NumericLiteral[] = [];
  tokens.forEach((token, k) => {
    if (token.kind !== "number") return;
    const line = lineOf(token.start);
    if (!inBlocks(line)) return;
    const text = token.text;
    if (text.endsWith("n") || /^0[xXbBoO]/.test(text) || /^0\d/.test(text)) return;
    const value = Number(text.replace(/_/g, ""));
    const integer = !/[.eE]/.test(text);
    if (!Number.isFinite(value) || value === 0) return;
    if (integer && (value === 1 || !Number.isSafeInteger(value))) return;
    const before = tokens[k - 1];
    if (before?.kind === "name" && before.text === "case") return;
    if (isIndex(tokens, k)) return;
    const lineStart = lineStarts[line - 1] as number;
    literals.push({
      start: token.start,
      end: token.end,
      line,
      text,
      value,
      integer,
      label: labelOf(code.slice(lineStart, token.start)),
    });
  });
  return literals;
}

/** `xs[2]` or `f()[2]`: a lone literal indexing something, not an array literal `[2]`. */
function isIndex(tokens: Token[], k: number): boolean {
  const open = tokens[k - 1];
  const close = tokens[k + 1];
  if (open?.text !== "[" || close?.text !== "]") return false;
  const target = tokens[k - 2];
  if (!target) return false;
  if (target.kind === "name") return !REGEX_AFTER_WORDS.has(target.text);
  return target.kind === "string" || target.text === ")" || target.text === "]";
}

function labelOf(lineBefore: string): string | null {
  const m =
    /([\p{ID_Start}$_][\p{ID_Continue}$]*)\s*(?::\s*[\p{ID_Continue}$.<>[\]| ]+)?\s*[:=]\s*[-+]?\s*$/u.exec(
      lineBefore,
    );
  return m ? (m[1] as string) : null;
}

/**
 * A tokenizer just good enough to tell code from strings, template text,
 * comments and regular expressions in JavaScript and TypeScript.
 */
function tokenize(code: string): Token[] {
  const tokens: Token[] = [];
  // What each open `{` belongs to: a block or object, or a template's `${`.
  const braces: ("brace" | "template")[] = [];
  const n = code.length;
  let i = 0;

  const push = (kind: TokenKind, start: number) =>
    tokens.push({ kind, start, end: i, text: code.slice(start, i) });

  /** From inside a template (after "`" or a closing "}"), to its end or its next "${". */
  const templateText = (start: number) => {
    while (i < n) {
      const c = code[i];
      if (c === "\\") {
        i += 2;
      } else if (c === "`") {
        i++;
        break;
      } else if (c === "$" && code[i + 1] === "{") {
        i += 2;
        braces.push("template");
        break;
      } else {
        i++;
      }
    }
    push("string", start);
  };

  const regexAllowed = () => {
    const prev = tokens.at(-1);
    if (!prev) return true;
    if (prev.kind === "name") return REGEX_AFTER_WORDS.has(prev.text);
    if (prev.kind === "punct") return !(prev.text === ")" || prev.text === "]" || prev.text === "}");
    return false;
  };

  while (i < n) {
    const c = code[i] as string;
    const start = i;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
    } else if (c === "/" && code[i + 1] === "/") {
      while (i < n && code[i] !== "\n") i++;
    } else if (c === "/" && code[i + 1] === "*") {
      const end = code.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === "#" && i === 0 && code[1] === "!") {
      while (i < n && code[i] !== "\n") i++;
    } else if (c === '"' || c === "'") {
      i++;
      while (i < n && code[i] !== c && code[i] !== "\n") i += code[i] === "\\" ? 2 : 1;
      i++;
      push("string", start);
    } else if (c === "`") {
      i++;
      templateText(start);
    } else if (c === "{") {
      i++;
      braces.push("brace");
      push("punct", start);
    } else if (c === "}") {
      i++;
      if (braces.pop() === "template") templateText(start);
      else push("punct", start);
    } else if (/\d/.test(c) || (c === "." && /\d/.test(code[i + 1] ?? ""))) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(code);
      i += m ? m[0].length : 1;
      // `1px`-like runs are not numbers; swallow the rest as one name so nothing inside counts.
      if (i < n && NAME_PART.test(code[i] as string)) {
        while (i < n && NAME_PART.test(code[i] as string)) i++;
        push("name", start);
      } else {
        push("number", start);
      }
    } else if (NAME_START.test(c) || c === "\\") {
      i++;
      while (i < n && NAME_PART.test(code[i] as string)) i++;
      push("name", start);
    } else if (c === "/" && regexAllowed()) {
      i++;
      let inClass = false;
      while (i < n && code[i] !== "\n") {
        const r = code[i];
        if (r === "\\") {
          i += 2;
          continue;
        }
        i++;
        if (r === "[") inClass = true;
        else if (r === "]") inClass = false;
        else if (r === "/" && !inClass) break;
      }
      while (i < n && NAME_PART.test(code[i] as string)) i++;
      push("string", start);
    } else {
      i++;
      push("punct", start);
    }
  }
  return tokens;
}
