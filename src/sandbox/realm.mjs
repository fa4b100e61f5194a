// @ts-check
/**
 * The candidate's realm, kept apart from the runner (runner.mjs) that hosts it: this
 * file's one function is not run here but sent as source text into the isolate, so
 * everything in it is what the candidate's code sits next to, and it may refer to
 * nothing outside itself (no imports, no module-level names). The runner loads it
 * beside itself; the sandbox lets the child read both files (child-command.ts).
 */

/**
 * The trusted part of the candidate's realm, evaluated in the isolate before
 * the candidate's script. It captures what it uses first, so a candidate that
 * patches JSON, Promise or Error in its realm changes only its own outputs.
 * Source text only: it must not refer to anything outside itself.
 * @param {ReturnType<typeof import("./realm-output.mjs").outputCopier>} output how outputs become
 *   JSON text (realm-output.mjs), made in the isolate just before this function runs
 * @param {(text: string) => void} log
 * @param {number} logCap
 * @param {string} filename
 * @param {string} gcName
 * @param {(id: number, input: number, request: string) => void} hostCall the host's side of
 *   the call channel (a job that enables it): sends one request out; the answer comes back
 *   through `settle`
 */
export function realm(output, log, logCap, filename, gcName, hostCall) {
  // biome-ignore lint/suspicious/noRedundantUseStrict: this source runs as a script in the isolate, not as a module
  "use strict";
  /** @type {Record<string, any>} the isolate's global object, which this realm furnishes */
  const g = globalThis;
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const isView = ArrayBuffer.isView;
  const MapC = Map;
  const SetC = Set;
  const ErrorC = Error;
  const DataViewC = DataView;
  const PromiseC = Promise;
  const then = Promise.prototype.then;
  const apply = Reflect.apply;
  const StringC = String;
  const toTag = Object.prototype.toString;
  const dateNow = Date.now;
  const MAX_ERROR = 2000;

  // Not counted against the memory limit, and no candidate needs it.
  delete g.WebAssembly;
  /** @type {() => void} */
  const collectGarbage = typeof g[gcName] === "function" ? g[gcName] : () => undefined;

  /** @param {unknown} value */
  function text(value) {
    try {
      if (typeof value === "string") return value;
      if (value instanceof ErrorC) return StringC(value.stack ?? `${value.name}: ${value.message}`);
      if (typeof value === "object" && value !== null) {
        const json = stringify(value);
        if (typeof json === "string") return json;
      }
      return StringC(value);
    } catch {
      return apply(toTag, value, []);
    }
  }

  // Each call of `log` crosses to the host (tens of µs): the first lines go at once, so a
  // program that prints and then hangs still shows its output; a flood goes in batches.
  let logged = 0;
  let lines = 0;
  let buffer = "";
  let flushed = dateNow();
  function flush() {
    if (buffer !== "") {
      const text = buffer;
      buffer = "";
      log(text);
    }
    flushed = dateNow();
  }
  /** @param {unknown[]} args */
  function write(...args) {
    if (logged > logCap) return;
    let line = "";
    for (let i = 0; i < args.length; i++) line += (i > 0 ? " " : "") + text(args[i]);
    logged += line.length + 1;
    if (logged > logCap) line = "(console output cut here: it passed the limit)";
    buffer += `${line}\n`;
    lines++;
    if (lines <= 256 || buffer.length >= 16384 || dateNow() - flushed >= 100) flush();
  }
  const console = { log: write, info: write, warn: write, error: write, debug: write, trace: write };
  g.console = console;
  const origin = dateNow();
  g.performance = { now: () => dateNow() - origin, timeOrigin: origin };
  // Two conveniences of web and Node realms that models reach for, in plain JavaScript.
  g.queueMicrotask = (/** @type {() => void} */ fn) => {
    apply(then, PromiseC.resolve(), [fn]);
  };
  g.structuredClone = (/** @type {unknown} */ value) => deepClone(value, new MapC());

  /**
   * @param {any} v
   * @param {Map<unknown, unknown>} seen
   * @returns {any}
   */
  function deepClone(v, seen) {
    if (typeof v === "function" || typeof v === "symbol")
      throw new TypeError(`a ${typeof v} could not be cloned`);
    if (typeof v !== "object" || v === null) return v;
    if (seen.has(v)) return seen.get(v);
    /** @type {any} */
    let out;
    if (Array.isArray(v)) {
      out = new Array(v.length);
      seen.set(v, out);
      for (let i = 0; i < v.length; i++) out[i] = deepClone(v[i], seen);
      return out;
    }
    if (v instanceof MapC) {
      out = new MapC();
      seen.set(v, out);
      for (const [k, x] of v) out.set(deepClone(k, seen), deepClone(x, seen));
      return out;
    }
    if (v instanceof SetC) {
      out = new SetC();
      seen.set(v, out);
      for (const x of v) out.add(deepClone(x, seen));
      return out;
    }
    if (v instanceof Date) out = new Date(v.getTime());
    else if (v instanceof RegExp) out = new RegExp(v.source, v.flags);
    else if (v instanceof ArrayBuffer) out = v.slice(0);
    else if (v instanceof DataViewC)
      out = new DataViewC(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
    else if (isView(v)) out = /** @type {any} */ (v).slice();
    else if (v instanceof ErrorC) out = new ErrorC(v.message);
    else {
      out = {};
      seen.set(v, out);
      for (const k of Object.keys(v)) out[k] = deepClone(v[k], seen);
      return out;
    }
    seen.set(v, out);
    return out;
  }

  /** @param {unknown} value */
  function preview(value) {
    try {
      if (typeof value === "string") return stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
      if (typeof value !== "object" || value === null) return StringC(value);
      const json = stringify(value);
      if (typeof json === "string") return json.length > 200 ? `${json.slice(0, 200)}…` : json;
    } catch {
      // cycles, BigInt, throwing getters
    }
    return apply(toTag, value, []);
  }

  /**
   * `Name: message` plus the frames inside the bundled script (the engine maps them
   * back to the candidate's source), or a description of a thrown non-Error.
   * @param {unknown} err
   */
  function describe(err) {
    let out;
    try {
      if (err instanceof ErrorC) {
        out = `${StringC(err.name)}: ${StringC(err.message)}`;
        const lines = StringC(err.stack ?? "").split("\n");
        let kept = 0;
        for (const l of lines) {
          if (kept < 3 && l.trimStart().startsWith("at ") && l.includes(filename)) {
            out += `\n    ${l.trim()}`;
            kept++;
          }
        }
      } else {
        out = `threw a non-Error value: ${preview(err)}`;
      }
    } catch {
      out = "threw a value that cannot be described";
    }
    return out.length > MAX_ERROR ? `${out.slice(0, MAX_ERROR)}…` : out;
  }

  /** @type {((input: unknown) => unknown) | undefined} */
  let run;
  /** @type {[boolean, unknown] | undefined} */
  let outcome;
  /** The input being run (-1 while the script loads), for host calls. */
  let currentInput = -1;

  /** Finds the driver's entry once the script has run: "" when found, else why not. */
  function bind() {
    flush();
    try {
      const entry = g.__adrs;
      const fn = entry === undefined || entry === null ? undefined : entry.run;
      if (typeof fn !== "function") return "the script did not define __adrs.run";
      run = fn;
      return "";
    } catch (err) {
      return describe(err);
    }
  }

  /** The next input, parsed by `receive` before the clock starts. */
  /** @type {unknown} */
  let input;

  /**
   * Parses the next input, before the host starts the call's clock: the hand-over is
   * the sandbox's work, not the program's, and JSON.parse (captured, no reviver) runs
   * no code of the candidate's.
   * @param {string} inputJson
   */
  function receive(inputJson) {
    input = parse(inputJson);
  }

  /** The settling of a call whose driver returned a promise (`invoke` said so), until `waitCall` hands it over. */
  /** @type {Promise<undefined> | undefined} */
  let settling;

  /**
   * Calls the driver on the input `receive` parsed. Returns true when the driver returned
   * a promise: the host then awaits `waitCall` too, inside the same timing, so the call is
   * timed until it settles. A call that returns a plain value is one plain apply: awaiting
   * a promise across isolates costs every call about 0.1 ms of the isolate's CPU, charged
   * to the program. Microtasks the call queued run before the apply returns either way.
   * @param {number} index the input's number, which host calls made from now on carry
   */
  function invoke(index) {
    outcome = undefined;
    settling = undefined;
    currentInput = index;
    const given = input;
    input = undefined;
    let value;
    try {
      value = /** @type {(input: unknown) => unknown} */ (run)(given);
    } catch (err) {
      outcome = [false, describe(err)];
      return false;
    }
    let thenFn;
    try {
      thenFn =
        typeof value === "object" || typeof value === "function"
          ? /** @type {any} */ (value)?.then
          : undefined;
    } catch (err) {
      outcome = [false, describe(err)];
      return false;
    }
    if (typeof thenFn !== "function") {
      outcome = output.returned(value);
      return false;
    }
    settling = new PromiseC((resolve) => {
      const settled = new PromiseC((r) => r(value));
      apply(then, settled, [
        /** @param {unknown} v */ (v) => {
          outcome = output.returned(v);
          resolve(undefined);
        },
        /** @param {unknown} e */ (e) => {
          outcome = [false, describe(e)];
          resolve(undefined);
        },
      ]);
    });
    return true;
  }

  /** The settling of the call `invoke` started, for the host to await. */
  function waitCall() {
    const s = settling;
    settling = undefined;
    return s;
  }

  /**
   * The last call's output as text: "1" + JSON, "0" + error, or "2" + the JSON's
   * length when it is longer than `budget` characters.
   * @param {number} budget
   */
  function take(budget) {
    flush();
    const o = outcome;
    outcome = undefined;
    if (o === undefined) return "0no output";
    if (!o[0]) return `0${o[1]}`;
    let json;
    try {
      // Plain data made by `returned`: no prototype, so no toJSON or getter of the candidate runs now.
      json = stringify(o[1], output.expand);
    } catch (err) {
      return `0the output cannot be sent as JSON: ${err instanceof ErrorC ? StringC(err.message) : "it failed"}`;
    }
    if (json === undefined) return "0no output: the driver returned undefined";
    if (json.length > budget) return `2${json.length}`;
    return `1${json}`;
  }

  /** A full collection, so the heap then in use is what the program keeps. */
  function collect() {
    collectGarbage();
  }

  // The host-call channel (a job with `host`): one function on the global object that sends a
  // string out and resolves to the string that comes back. Counting and the size check happen
  // here, before anything crosses, so a candidate spamming calls costs the host nothing.
  /** @type {Map<number, [(text: string) => void, (error: Error) => void]>} */
  const pending = new MapC();
  let calls = 0;

  /**
   * Installs the channel's function under `name`: `(request: string) => Promise<string>`.
   * @param {string} name
   * @param {number} maxCalls calls that may cross in this job; later ones throw here
   * @param {number} maxChars the longest request
   */
  function enableHost(name, maxCalls, maxChars) {
    /** @param {unknown} request */
    function call(request) {
      if (typeof request !== "string")
        return PromiseC.reject(new TypeError(`${name}: the request must be a string`));
      if (request.length > maxChars)
        return PromiseC.reject(
          new RangeError(
            `${name}: a request of ${request.length} characters is over the limit of ${maxChars}`,
          ),
        );
      if (calls >= maxCalls)
        return PromiseC.reject(
          new RangeError(`${name}: the limit of ${maxCalls} calls in this job is spent`),
        );
      const id = ++calls;
      return new PromiseC((resolve, reject) => {
        pending.set(id, [resolve, reject]);
        hostCall(id, currentInput, request);
      });
    }
    Object.defineProperty(g, name, { value: call, writable: false, enumerable: false, configurable: false });
  }

  /**
   * The host's answer to call `id`: its text, or the error it is rejected with.
   * @param {number} id
   * @param {boolean} ok
   * @param {string} text
   */
  function settle(id, ok, text) {
    const entry = pending.get(id);
    if (entry === undefined) return;
    pending.delete(id);
    if (ok) entry[0](text);
    else entry[1](new ErrorC(text));
  }

  return [bind, invoke, take, collect, enableHost, settle, receive, waitCall];
}
