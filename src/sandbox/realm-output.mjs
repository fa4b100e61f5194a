// @ts-check
/**
 * How the candidate's realm turns an output into JSON text without running any of
 * the candidate's code off the clock. Like realm.mjs, this file's one function is
 * sent into the isolate as source text and evaluated there before the candidate's
 * script (the runner hands its result to `realm`), so it may refer to nothing
 * outside itself, and it captures what it uses first.
 *
 * `returned(value)` runs inside the timed call: it reads the output into a plain
 * copy the way JSON.stringify would read it (a toJSON it has, getters, a Proxy's
 * traps all run then, under the clock) into arrays and objects without a
 * prototype. `expand` is the replacer that encodes the copy afterwards: no toJSON
 * or getter of the candidate's can be reached from it, and typed arrays, whose
 * elements no code of the candidate's can intercept, are listed then, off the
 * clock, as for every program.
 */
export function outputCopier() {
  // biome-ignore lint/suspicious/noRedundantUseStrict: this source runs as a script in the isolate, not as a module
  "use strict";
  const stringify = JSON.stringify;
  const isView = ArrayBuffer.isView;
  const finite = Number.isFinite;
  const MapC = Map;
  const SetC = Set;
  const ErrorC = Error;
  const DataViewC = DataView;
  const apply = Reflect.apply;
  const StringC = String;
  const ArrayC = Array;
  const isArray = Array.isArray;
  const keysOf = Object.keys;
  const createObject = Object.create;
  const setPrototype = Object.setPrototypeOf;
  const typedLength = /** @type {() => number} */ (
    /** @type {PropertyDescriptor} */ (
      Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Int8Array.prototype), "length")
    ).get
  );
  /** Marks a typed array kept in a plain copy, to be listed when encoded. */
  const TYPED = Symbol("typed");
  const setHas = Set.prototype.has;
  const setAdd = Set.prototype.add;
  const setDelete = Set.prototype.delete;

  /** @param {string | number} key */
  function where(key) {
    return key === "" ? "" : ` at key ${stringify(StringC(key))}`;
  }

  /**
   * The output as plain data, made while the call is timed: what JSON.stringify would
   * read of it (a toJSON it has, getters, a Proxy's traps all run here, under the clock),
   * copied into arrays and objects without a prototype, so encoding the copy afterwards
   * runs none of the candidate's code. Values JSON cannot carry faithfully are refused.
   * @param {unknown} value
   * @param {string | number} key
   * @param {Set<unknown>} ancestors the objects being copied above this one (a cycle is refused)
   * @returns {unknown}
   */
  function plain(value, key, ancestors) {
    let v = value;
    if (typeof v === "object" && v !== null) {
      const toJSON = /** @type {any} */ (v).toJSON;
      if (typeof toJSON === "function") v = apply(toJSON, v, [StringC(key)]);
    }
    switch (typeof v) {
      case "function":
        throw new TypeError(`a function${where(key)} cannot be an output`);
      case "symbol":
        throw new TypeError(`a symbol${where(key)} cannot be an output`);
      case "bigint":
        throw new TypeError(`a BigInt${where(key)} cannot be an output (use a number or a string)`);
      case "number":
        if (!finite(v)) throw new TypeError(`${v}${where(key)} is not representable in JSON`);
        return v;
      case "object":
        break;
      default:
        return v;
    }
    if (v === null) return null;
    if (v instanceof MapC || v instanceof SetC) {
      throw new TypeError(
        `a ${v instanceof MapC ? "Map" : "Set"}${where(key)} cannot be an output (use an array or object)`,
      );
    }
    if (apply(setHas, ancestors, [v]))
      throw new TypeError(`a circular structure${where(key)} cannot be an output`);
    apply(setAdd, ancestors, [v]);
    try {
      /** @type {any} */
      const from = v;
      if (isView(v) && !(v instanceof DataViewC)) {
        // Reading a typed array's elements runs no code of the candidate's, so the list is
        // made when the output is encoded, off the clock (`expand`), as for every program.
        const out = createObject(null);
        out[TYPED] = v;
        return out;
      }
      if (isArray(v)) {
        const n = from.length;
        const out = new ArrayC(n);
        for (let i = 0; i < n; i++) {
          const x = from[i];
          if (typeof x === "number" && finite(x)) out[i] = x;
          else {
            const y = plain(x, i, ancestors);
            out[i] = y === undefined ? null : y;
          }
        }
        setPrototype(out, null);
        return out;
      }
      const out = createObject(null);
      for (const k of keysOf(v)) {
        const y = plain(from[k], k, ancestors);
        if (y !== undefined) out[k] = y;
      }
      return out;
    } finally {
      apply(setDelete, ancestors, [v]);
    }
  }

  /**
   * The replacer that encodes `plain`'s copy: a typed array kept there becomes a list.
   * @param {string} key
   * @param {unknown} value
   */
  function expand(key, value) {
    if (typeof value !== "object" || value === null) return value;
    const typed = /** @type {any} */ (value)[TYPED];
    if (typed === undefined) return value;
    const n = apply(typedLength, typed, []);
    const out = new ArrayC(n);
    for (let i = 0; i < n; i++) {
      const x = typed[i];
      if (typeof x === "bigint")
        throw new TypeError(`a BigInt${where(key)} cannot be an output (use a number or a string)`);
      if (!finite(x)) throw new TypeError(`${x}${where(key)} is not representable in JSON`);
      out[i] = x;
    }
    // No prototype, so no toJSON the candidate planted on Array.prototype is found.
    setPrototype(out, null);
    return out;
  }

  /**
   * The outcome of a call that returned `value`: its plain copy, or why it cannot be sent.
   * @param {unknown} value
   * @returns {[boolean, unknown]}
   */
  function returned(value) {
    try {
      return [true, plain(value, "", new SetC())];
    } catch (err) {
      let message;
      try {
        message = err instanceof ErrorC ? StringC(err.message) : `threw ${typeof err}`;
      } catch {
        message = "an error that cannot be described";
      }
      return [false, `the output cannot be sent as JSON: ${message}`];
    }
  }

  return { returned, expand };
}
