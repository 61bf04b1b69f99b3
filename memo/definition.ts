/**
 * What the engine knows of a memo function: its name, body, key, cutoff,
 * persistence and the digest of its code.
 *
 * @module
 */

/** Converts a memo output to JSON data for the store and back. */
export interface Codec<O> {
  /** Turns an output into JSON-compatible data. */
  encode(value: O): unknown;
  /** Turns stored data back into an output. */
  decode(data: unknown): O;
}

/** Counters of one memo function in one engine. */
export interface MemoStats {
  /** Bodies executed. */
  executed: number;
  /** Calls served by a node already verified in the current run. */
  reused: number;
  /** Nodes found up to date by re-checking their dependencies, without executing. */
  revalidated: number;
  /** Executions whose value equalled the previous one, so dependents did not rerun. */
  cutoff: number;
}

/** The engine's view of a memo function. */
export interface MemoDefinition {
  /** Unique name. */
  readonly name: string;
  /** The function being memoized. */
  readonly fn: (input: unknown) => unknown;
  /** Input to key. */
  readonly key: (input: unknown) => string;
  /** Output equality. */
  readonly cutoff: (a: unknown, b: unknown) => boolean;
  /** How a call is shown to users. */
  readonly label: (input: unknown) => string;
  /** `false` when results are kept in memory only; a codec otherwise. */
  readonly persist: false | Codec<unknown>;
  /** Digest of the body's source text and version. */
  readonly code: string;
  /** Where the function was defined, `file:line:column`. */
  readonly site: string;
}

/**
 * Returns fresh counters, all zero.
 * @returns The counters.
 */
export function emptyStats(): MemoStats {
  return { executed: 0, reused: 0, revalidated: 0, cutoff: 0 };
}
