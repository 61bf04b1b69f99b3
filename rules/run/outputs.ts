/**
 * The record of files barchan wrote, so that a build never overwrites a file
 * it did not create, and deletes the outputs of rules that disappeared.
 *
 * Format of `outputs.log`: a first line `barchan outputs 2`, then one entry
 * a line, tab-separated, each line ending in a checksum of what precedes it
 * (8 hex digits: FNV-1a of the line's UTF-8 bytes before its last tab,
 * `_line_sum.ts`). `c PATH SUM` claims a path before an action may write it;
 * `w PATH DIGEST SUM` records what barchan wrote; `r PATH SUM` releases it.
 * A claim is appended before the action starts, so after a crash at any
 * moment every file an action may have written is claimed. When a build
 * ends with the log at more than twice as many lines as it has entries (and
 * over a thousand), it is rewritten with one line an entry (to a temporary
 * file, then renamed): an edit appends a few lines rather than rewriting
 * them all.
 *
 * Damage. A last line without its newline was cut short by a crash: its
 * claim was written before anything else, so nothing was written after it,
 * and it is dropped. Any other line whose checksum is wrong or that is not
 * UTF-8 or not an entry, and a log without its first line (damaged, or an
 * older barchan's), make the log untrusted: one note says so, and ownership
 * is recovered from content instead. A path is barchan's when its file holds
 * what barchan recorded of it: in a checksummed line of the log, or in the
 * memo store's last value of the rule writing it (`recorded`). Claims whose
 * file matches nothing recorded are dropped, so a file someone wrote there
 * is neither overwritten nor deleted; a file a killed action left half
 * written then needs deleting by hand. A log that is missing or empty while
 * the store recorded outputs is recovered the same way. A recovered log is
 * written afresh before anything is appended to it. A directory target's
 * entry holds its tree's digest (`dir:...`, dir_targets.ts): the whole tree
 * is barchan's, and a directory at that path is owned again on the word of
 * a recorded tree digest alone. A path is taken as one a
 * rule can write ({@linkcode isOutputPath}) before anything is deleted on
 * its word: a checksum tells damage, not intent.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { digestOfFile } from "../../memo/mod.ts";
import { OUTPUTS_LOG, STATE_DIR } from "../state.ts";
import { LogFile } from "./_log_file.ts";
import { lineSum, parseSum, summedLine } from "./_line_sum.ts";
import { isDirDigest, isRealDirectory } from "./dir_targets.ts";

const CLAIMED = "";
/** A log this short is never rewritten, however many of its lines are stale. */
const REWRITE_MIN_LINES = 1000;
/** The first line: the format's name and version. */
const HEADER = "barchan outputs 2\n";
const TAB = 9;
const NEWLINE = 10;

/** Options of an {@linkcode OutputLog}. */
export interface OutputLogOptions {
  /**
   * The project root, where recovery finds the files to hash.
   * @default the directory `STATE_DIR` is in, from `stateDir`
   */
  root?: string;
  /**
   * What the memo store recorded of outputs, as `[path, digest]` pairs:
   * asked only when the log is missing, empty or damaged.
   * @default nothing recorded
   */
  recorded?: () => Iterable<readonly [path: string, digest: string]>;
  /**
   * Receives the one-line note of a damaged or lost log.
   * @default nothing is said
   */
  note?: (message: string) => void;
}

/** The files barchan owns in one project, with the digest it last wrote. */
export class OutputLog {
  #path: string;
  #root: string;
  #entries = new Map<string, string>();
  #encoder = new TextEncoder();
  #file: LogFile;
  /** Written into a new state directory (handOver): nothing more is recorded. */
  #handedOver = false;

  /**
   * Loads the log from a state directory, recovering it when damaged or lost.
   * @param stateDir The directory of barchan's state.
   * @param options Where the project is, and what the store recorded.
   */
  constructor(stateDir: string, options: OutputLogOptions = {}) {
    this.#path = join(stateDir, OUTPUTS_LOG);
    this.#file = new LogFile(this.#path, HEADER);
    this.#root = options.root ?? join(stateDir, ...STATE_DIR.split("/").map(() => ".."));
    let bytes = new Uint8Array();
    try {
      bytes = Deno.readFileSync(this.#path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (bytes.length === 0) {
      // Written whole at the end, so that the next build finds it.
      this.#file.stale = true;
      const recovered = this.#recover(new Map(), options.recorded);
      if (recovered > 0) {
        options.note?.(
          `${OUTPUTS_LOG} was missing: ${recovered} output${plural(recovered)} whose content ` +
            `is what barchan recorded ${recovered === 1 ? "is" : "are"} its own again`,
        );
      }
      return;
    }
    const problem = this.#read(bytes);
    if (problem === undefined) return;
    const written = new Map<string, Set<string>>();
    for (const [path, digest] of this.#entries) {
      if (digest !== CLAIMED) written.set(path, new Set([digest]));
    }
    this.#entries.clear();
    const recovered = this.#recover(written, options.recorded);
    options.note?.(
      `${OUTPUTS_LOG} is damaged (${problem}): kept ${recovered} output${plural(recovered)} ` +
        `whose content is what barchan recorded; any other file is left alone`,
    );
  }

  /**
   * Applies the lines of a log read whole; returns what is wrong with it,
   * or undefined when every line checks (a torn last line is dropped).
   */
  #read(bytes: Uint8Array): string | undefined {
    const header = this.#encoder.encode(HEADER);
    if (!startsWith(bytes, header)) {
      this.#file.stale = true;
      return `it does not start with "${HEADER.trim()}": damaged, or written by an older barchan`;
    }
    const decoder = new TextDecoder("utf-8", { fatal: true });
    // Pure ASCII, the usual case: the text's indexes are the bytes'.
    let text: string | undefined;
    try {
      text = decoder.decode(bytes);
      if (text.length !== bytes.length) text = undefined;
    } catch {
      // Some line is not UTF-8: found below, line by line.
    }
    let problem: string | undefined;
    let line = 1;
    let at = header.length;
    this.#file.size = at;
    while (at < bytes.length) {
      line++;
      const end = bytes.indexOf(NEWLINE, at);
      if (end < 0) {
        // Cut short by a crash: its claim never took effect.
        this.#file.stale = true;
        break;
      }
      const why = this.#apply(bytes, at, end, text, decoder);
      if (why !== undefined) problem ??= `line ${line}: ${why}`;
      else this.#file.lines++;
      at = end + 1;
      this.#file.size = at;
    }
    if (problem !== undefined) this.#file.stale = true;
    return problem;
  }

  /** Applies the line `bytes[start, end)`; returns what is wrong with it, if anything. */
  #apply(
    bytes: Uint8Array,
    start: number,
    end: number,
    text: string | undefined,
    decoder: TextDecoder,
  ): string | undefined {
    const lastTab = end - 9;
    if (lastTab <= start || bytes[lastTab] !== TAB) return "no checksum";
    if (parseSum(bytes, lastTab + 1) !== lineSum(bytes, start, lastTab)) {
      return "its checksum does not match";
    }
    let body: string;
    if (text !== undefined) body = text.slice(start, lastTab);
    else {
      try {
        body = decoder.decode(bytes.subarray(start, lastTab));
      } catch {
        return "not UTF-8";
      }
    }
    const op = body[0];
    if (body[1] !== "\t") return "not an entry";
    const second = body.indexOf("\t", 2);
    if (op === "w" && second > 2 && second < body.length - 1) {
      this.#entries.set(body.slice(2, second), body.slice(second + 1));
    } else if (second >= 0 || body.length === 2) return "not an entry";
    else if (op === "c") {
      const path = body.slice(2);
      if (!this.#entries.has(path)) this.#entries.set(path, CLAIMED);
    } else if (op === "r") this.#entries.delete(body.slice(2));
    else return "not an entry";
    return undefined;
  }

  /**
   * Owns every path whose file holds a digest recorded for it, in `known`
   * or by `recorded`; returns how many.
   */
  #recover(
    known: Map<string, Set<string>>,
    recorded: OutputLogOptions["recorded"],
  ): number {
    for (const [path, digest] of recorded?.() ?? []) {
      if (digest === "") continue;
      let digests = known.get(path);
      if (digests === undefined) known.set(path, digests = new Set());
      digests.add(digest);
    }
    let count = 0;
    for (const [path, digests] of known) {
      if (!isOutputPath(path)) continue;
      // A directory target is barchan's as a whole: what is in it was never anyone else's.
      const tree = [...digests].find(isDirDigest);
      if (tree !== undefined && isRealDirectory(join(this.#root, path))) {
        this.#entries.set(path, tree);
        count++;
        continue;
      }
      const digest = regularFileDigest(join(this.#root, path));
      if (digest === undefined || !digests.has(digest)) continue;
      this.#entries.set(path, digest);
      count++;
    }
    return count;
  }

  /**
   * Whether barchan claimed this path.
   * @param path Project-relative path.
   * @returns True when barchan may overwrite it.
   */
  owns(path: string): boolean {
    return this.#entries.has(path);
  }

  /**
   * The digest barchan last wrote to a path, "" when unknown.
   * @param path Project-relative path.
   * @returns The digest.
   */
  digest(path: string): string {
    return this.#entries.get(path) ?? CLAIMED;
  }

  /** Every owned path. */
  paths(): string[] {
    return [...this.#entries.keys()];
  }

  /**
   * Claims paths before an action may write them.
   * @param paths Project-relative paths.
   */
  claim(paths: readonly string[]): void {
    let text = "";
    let lines = 0;
    const added: string[] = [];
    for (const p of paths) {
      if (this.#entries.has(p)) continue;
      this.#entries.set(p, CLAIMED);
      added.push(p);
      text += summedLine(`c\t${p}`);
      lines++;
    }
    try {
      this.#append(text, lines);
    } catch (error) {
      for (const p of added) this.#entries.delete(p);
      throw error;
    }
  }

  /**
   * Records what an action wrote.
   * @param path Project-relative path.
   * @param digest Digest of the content.
   */
  wrote(path: string, digest: string): void {
    if (this.#entries.get(path) === digest) return;
    this.#entries.set(path, digest);
    this.#append(summedLine(`w\t${path}\t${digest}`), 1);
  }

  /**
   * Gives up ownership of a path (after deleting it, or leaving a hand-edited file).
   * @param path Project-relative path.
   */
  release(path: string): void {
    if (!this.#entries.delete(path)) return;
    this.#append(summedLine(`r\t${path}`), 1);
  }

  /**
   * Stops writing to the log, whose directory was deleted: what is recorded
   * from now on stays in memory, for {@linkcode OutputLog.handOver}.
   */
  stopRecording(): void {
    this.#file.close();
    this.#handedOver = true;
  }

  /**
   * After the state directory was deleted under a long-lived process (a
   * watch session, the build server): makes it again and writes there a log
   * of the files whose content is still what barchan wrote, so that the
   * next build owns them instead of refusing to overwrite them. Directory
   * targets are not handed over (their trees are not checked here). Nothing
   * is written when the directory exists again: it is another build's. The
   * log records nothing more afterwards.
   * @returns How many outputs were handed over; undefined when the directory was there.
   */
  handOver(): number | undefined {
    this.stopRecording();
    const stateDir = dirname(this.#path);
    try {
      // Not recursive: a project deleted whole is not made again.
      makeDirectory(dirname(stateDir));
      Deno.mkdirSync(stateDir);
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) return undefined;
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    }
    const kept = new Map<string, string>();
    for (const [path, digest] of this.#entries) {
      if (digest === CLAIMED || isDirDigest(digest)) continue;
      if (regularFileDigest(join(this.#root, path)) === digest) kept.set(path, digest);
    }
    this.#entries = kept;
    this.#rewrite();
    return kept.size;
  }

  /** Closes the log, rewritten first when it holds many more lines than entries. */
  close(): void {
    if (this.#handedOver) return;
    this.#file.close();
    const lines = this.#file.lines;
    const overgrown = lines > REWRITE_MIN_LINES && lines > 2 * this.#entries.size;
    if (this.#file.stale || overgrown) this.#rewrite();
  }

  #rewrite(): void {
    let text = "";
    for (const [path, digest] of this.#entries) {
      text += summedLine(digest === CLAIMED ? `c\t${path}` : `w\t${path}\t${digest}`);
    }
    this.#file.replace(text, this.#entries.size);
  }

  /** Appends lines saying what changed in the entries (already changed). */
  #append(text: string, lines: number): void {
    if (text === "" || this.#handedOver) return;
    // Written whole, the entries as they are now: the new lines included.
    if (this.#file.stale) this.#rewrite();
    else this.#file.append(text, lines);
  }
}

/**
 * Whether a path is one a rule can write, as outputs.log and `clean` take
 * it: relative, `/`-separated, without empty, `.` or `..` segments or
 * control characters.
 * @param path A path from the outputs record.
 * @returns True when it names a file inside the project.
 *
 * @example
 * ```ts
 * import { isOutputPath } from "./outputs.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isOutputPath("out/a.o"), true);
 * assert.equal(isOutputPath("../victim.txt"), false);
 * assert.equal(isOutputPath("notes\nfoo"), false);
 * ```
 */
export function isOutputPath(path: string): boolean {
  // deno-lint-ignore no-control-regex
  if (path === "" || path[0] === "/" || /[\u0000-\u001f\u007f-\u009f]/.test(path)) return false;
  for (const segment of path.split("/")) {
    if (segment === "" || segment === "." || segment === "..") return false;
  }
  return true;
}

/** The digest of a regular file (not a link, not a directory), undefined when there is none. */
export function regularFileDigest(path: string): string | undefined {
  try {
    if (!Deno.lstatSync(path).isFile) return undefined;
    return digestOfFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw error;
  }
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

function plural(n: number): string {
  return n === 1 ? "" : "s";
}

/** Makes a directory whose parent exists; one already there is fine. */
function makeDirectory(path: string): void {
  try {
    Deno.mkdirSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
}
