/**
 * The table of memo functions by name, and the rule that they are created
 * before evaluation starts.
 *
 * Memo functions are created at module top level only: a function created
 * inside a computation could capture values the engine cannot see, and a
 * result cached under its name would then depend on things nobody tracks.
 * Reloading a build description (watch mode) is the one sanctioned way to
 * define functions again, through {@linkcode redefine}.
 *
 * @module
 */
import type { MemoDefinition } from "./definition.ts";
import { digestOf } from "./stat/digest.ts";

const definitions = new Map<string, MemoDefinition>();
let evaluationStarted = false;
let redefining: Set<string> | undefined;
let generation = 0;

/**
 * Returns a counter that grows whenever a definition is replaced, so that
 * nodes notice cheaply that their definition may be stale.
 * @returns The counter.
 */
export function definitionsGeneration(): number {
  return generation;
}

/**
 * Records that a memo computation has started: from now on, creating a memo
 * function is an error.
 */
export function markEvaluationStarted(): void {
  evaluationStarted = true;
}

/**
 * Returns the definition registered under a name.
 * @param name The memo function's name.
 * @returns Its definition, if any.
 */
export function definitionNamed(name: string): MemoDefinition | undefined {
  return definitions.get(name);
}

/**
 * Registers a definition, enforcing unique names and creation before evaluation.
 * @param def The definition.
 * @param insideComputation Whether the caller is running inside a memo body.
 */
export function register(def: MemoDefinition, insideComputation: boolean): void {
  // A reload (redefine) may run inside a computation, as build.ts's does.
  if (insideComputation && redefining === undefined) {
    throw new Error(
      `Cannot create memo function "${def.name}" at ${def.site} inside a memo computation: ` +
        `memo functions must be created at module top level, before any evaluation starts`,
    );
  }
  if (redefining !== undefined) {
    if (redefining.has(def.name)) throw duplicate(def, definitions.get(def.name)!);
    redefining.add(def.name);
    if (definitions.has(def.name)) generation++;
    definitions.set(def.name, def);
    return;
  }
  if (evaluationStarted) {
    throw new Error(
      `Cannot create memo function "${def.name}" at ${def.site} after evaluation has started: ` +
        `create memo functions at module top level, so that they exist before the first call`,
    );
  }
  const previous = definitions.get(def.name);
  if (previous !== undefined) throw duplicate(def, previous);
  definitions.set(def.name, def);
}

/**
 * Runs `load` in a scope where memo functions may be defined again, as when
 * a build description is reloaded. Names defined in the scope replace the old
 * definitions; a name defined twice within the scope is still an error.
 *
 * @param load The code that (re)defines memo functions, e.g. a dynamic import.
 * @param defined Receives the names of the memo functions `load` defined.
 * @returns What `load` returns.
 *
 * @example Reloading a definition
 * ```ts
 * import { Engine, memo, redefine } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * await new Engine().run(async () => {}); // evaluation has started
 * const twice = await redefine(() => memo("docReloaded", (n: number) => n * 2));
 * assert.equal(await new Engine().run(() => twice(2)), 4);
 * ```
 */
export async function redefine<T>(
  load: () => T | Promise<T>,
  defined: Set<string> = new Set(),
): Promise<T> {
  const outer = redefining;
  redefining = defined;
  try {
    return await load();
  } finally {
    redefining = outer;
  }
}

/**
 * Makes the code digest of some definitions cover more than their source
 * text: the values a body can see from its surroundings (the module it is
 * defined in, what that module read when it was evaluated). A result
 * computed with another stamp counts as computed by other code, and the body
 * executes again (an equal value still stops propagation). Call it right
 * after {@linkcode redefine} defined them, before any of them is called:
 * the stamp is part of their definition, not a new one.
 * @param names The memo functions, as {@linkcode redefine} reported them.
 * @param salt A digest of what the bodies can see.
 *
 * @example
 * ```ts
 * import { memo, redefine, stampDefinitions } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const defined = new Set<string>();
 * await redefine(() => memo("docStamped", (n: number) => n), defined);
 * stampDefinitions(defined, "digest of the module and its reads");
 * assert.deepEqual([...defined], ["docStamped"]);
 * ```
 */
export function stampDefinitions(names: Iterable<string>, salt: string): void {
  for (const name of names) {
    const def = definitions.get(name);
    if (def !== undefined) {
      definitions.set(name, { ...def, code: digestOf(`${def.code}\u0000${salt}`) });
    }
  }
}

function duplicate(def: MemoDefinition, previous: MemoDefinition): Error {
  return new Error(
    `Memo function "${def.name}" is defined twice: at ${previous.site} and at ${def.site}. ` +
      `Give each memo function a unique name`,
  );
}
