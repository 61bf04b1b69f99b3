/**
 * Errors of a build: a failed rule, and a build description that cannot be
 * loaded. Both carry the file and rule they are about.
 *
 * @module
 */

/** What a {@linkcode RuleError} is made of. */
export interface RuleErrorInit {
  /** The rule id. */
  rule: string;
  /** Where the rule is defined, `build.ts:line`. */
  site: string;
  /** One line saying what went wrong. */
  message: string;
  /** The command that failed, if any. */
  command?: string;
  /** Its exit code, if it ran. */
  code?: number;
  /** Its captured output. */
  output?: string;
  /** The error it comes from, such as the command's `ProcessError` with what it printed. */
  cause?: unknown;
}

/**
 * A rule failed: its action exited non-zero, a program was missing, a
 * dependency cannot be built, or its targets were not all written.
 *
 * @example
 * ```ts
 * import { RuleError } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * const e = new RuleError({ rule: "out/a.o", site: "build.ts:3", message: "failed" });
 * assert.match(e.message, /out\/a.o.*build.ts:3/);
 * ```
 */
export class RuleError extends Error {
  /** The rule id. */
  readonly rule: string;
  /** Where the rule is defined. */
  readonly site: string;
  /** The command that failed, if any. */
  readonly command: string | undefined;
  /** Its exit code, if it ran. */
  readonly code: number | undefined;
  /** Its captured output. */
  readonly output: string;

  /**
   * Creates the error.
   * @param init What went wrong, and where.
   */
  constructor(init: RuleErrorInit) {
    super(
      `${init.message} (rule ${init.rule}, ${init.site})`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.name = "RuleError";
    this.rule = init.rule;
    this.site = init.site;
    this.command = init.command;
    this.code = init.code;
    this.output = init.output ?? "";
  }
}

/**
 * build.ts could not be found, loaded or validated.
 *
 * @example
 * ```ts
 * import { BuildFileError } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * assert.match(new BuildFileError("/p/build.ts", "bad").message, /build.ts/);
 * ```
 */
export class BuildFileError extends Error {
  /** The build description file. */
  readonly file: string;

  /**
   * Creates the error.
   * @param file The file.
   * @param message What is wrong with it.
   */
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "BuildFileError";
    this.file = file;
  }
}

/**
 * Returns the candidate closest to `word` by edit distance, if close enough
 * to be a likely typo.
 * @param word The misspelt word.
 * @param candidates Known words.
 * @returns The suggestion, if any.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 4)) + 1;
  for (const c of candidates) {
    if (Math.abs(c.length - word.length) >= bestDistance) continue;
    const d = editDistance(word, c);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
    }
    prev = row;
  }
  return prev[b.length];
}
