/**
 * The record of remote outputs: files commands wrote on the remote executor
 * that `--remote-download minimal` left there, known to the build by their
 * REAPI digest alone (`remote_digest.ts`), and those of them fetched since.
 * It is what the file leaf's stand-ins (`memo/leaves/stand_ins.ts`) answer
 * from: an absent file recorded as remote counts as present with its
 * digest; a fetched file that still holds what was fetched keeps that
 * digest, so fetching changes nothing the build recorded.
 *
 * Format of `remote_outputs.log`: a first line `barchan remote outputs 1`,
 * then one entry a line, tab-separated, each ending in a checksum of what
 * precedes it (as `outputs.log`'s, `_line_sum.ts`). `o PATH DIGEST SUM`
 * records an output left remote (`DIGEST` as `remoteDigest` writes it);
 * `m PATH DIGEST FAST SUM` an output fetched, whose file's fast digest is
 * `FAST`; `f PATH SUM` forgets a path; `q REQUEST PATH... SUM` lists the
 * files a request asked for (for the check of a build with nothing to do).
 * A line is appended before the build relies on it: an output is recorded
 * before its rule's value names its digest.
 *
 * Damage. A last line without its newline was cut short by a crash and is
 * dropped. Any other damage (a bad checksum, a line that is not an entry, a
 * wrong first line) is noted in one line and every entry is forgotten: an
 * output that was remote is then missing, so the rule that made it runs
 * again when it is needed; one that was fetched is a file like any other,
 * whose dependents run again at worst. Forgetting is never a wrong build.
 *
 * @module
 */
// On the path of a build with nothing to do (open_build.ts): no node:path.
import { type FileStandIns, setFileStandIns } from "../../memo/leaves/stand_ins.ts";
import { joinPath as join } from "../../memo/stat/paths.ts";
import { REMOTE_OUTPUTS_LOG } from "../state.ts";
import { lineSum, parseSum, summedLine } from "./_line_sum.ts";
import { LogFile } from "./_log_file.ts";

/** The first line: the format's name and version. */
const HEADER = "barchan remote outputs 1\n";
/** A log this short is never rewritten, however many of its lines are stale. */
const REWRITE_MIN_LINES = 1000;
const NEWLINE = 10;
const TAB = 9;

/**
 * What the record holds of one path.
 *
 * @example An output left remote, then fetched
 * ```ts
 * import type { RemoteOutput } from "./remote_outputs.ts";
 * import assert from "node:assert/strict";
 *
 * const left: RemoteOutput = { digest: `r:${"ab".repeat(32)}/3` };
 * const fetched: RemoteOutput = { ...left, fetched: "kq2Lh3N0vC4a9r0Yc8S1xA" };
 * assert.equal(left.fetched, undefined);
 * assert.equal(fetched.digest, left.digest);
 * ```
 */
export interface RemoteOutput {
  /** Its digest, as `remoteDigest` makes it. */
  readonly digest: string;
  /** The fast digest of the file fetched there, when it was fetched. */
  readonly fetched?: string;
}

/**
 * Options of a {@linkcode RemoteOutputLog}.
 *
 * @example Notes go to the reporter
 * ```ts
 * import type { RemoteOutputLogOptions } from "./remote_outputs.ts";
 * import assert from "node:assert/strict";
 *
 * const notes: string[] = [];
 * const options: RemoteOutputLogOptions = { note: (m) => void notes.push(m) };
 * options.note?.("damaged");
 * assert.deepEqual(notes, ["damaged"]);
 * ```
 */
export interface RemoteOutputLogOptions {
  /**
   * Receives the one-line note of a damaged log.
   * @default nothing is said
   */
  note?: (message: string) => void;
}

/**
 * The remote outputs of one project (see the module doc).
 *
 * @example An output left remote, then fetched
 * ```ts
 * import { RemoteOutputLog } from "./remote_outputs.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const log = new RemoteOutputLog(dir);
 * log.left("out/b.o", `r:${"ab".repeat(32)}/3`);
 * assert.equal(log.remoteOnly("out/b.o"), `r:${"ab".repeat(32)}/3`);
 * log.fetched("out/b.o", "fastdigest");
 * assert.equal(log.remoteOnly("out/b.o"), undefined);
 * log.close();
 * assert.equal(new RemoteOutputLog(dir).get("out/b.o")?.fetched, "fastdigest");
 * ```
 *
 * @example As stand-ins: an absent remote output is present with its digest
 * ```ts
 * import { RemoteOutputLog } from "./remote_outputs.ts";
 * import assert from "node:assert/strict";
 *
 * const log = new RemoteOutputLog(await Deno.makeTempDir());
 * log.left("out/b.o", `r:${"ab".repeat(32)}/3`);
 * const standIns = log.standIns("/project");
 * assert.equal(standIns.absent("/project/out/b.o"), `r:${"ab".repeat(32)}/3`);
 * assert.equal(standIns.absent("/project/out/c.o"), undefined);
 * ```
 */
export class RemoteOutputLog {
  readonly #path: string;
  #entries = new Map<string, RemoteOutput>();
  #requests = new Map<string, readonly string[]>();
  #encoder = new TextEncoder();
  #file: LogFile;
  /** How many entries are remote, not fetched; -1 when not counted since they changed. */
  #remoteCount = -1;
  /** Its state directory was deleted or replaced: nothing more is written. */
  #abandoned = false;

  /**
   * Loads the log of a state directory (none there: an empty one).
   * @param stateDir The directory of barchan's state.
   * @param options Where a note of damage goes.
   */
  constructor(stateDir: string, options: RemoteOutputLogOptions = {}) {
    this.#path = join(stateDir, REMOTE_OUTPUTS_LOG);
    this.#file = new LogFile(this.#path, HEADER);
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(this.#path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    if (bytes.length === 0) return;
    const problem = this.#read(bytes);
    if (problem === undefined) return;
    const lost = this.#entries.size;
    this.#entries.clear();
    this.#requests.clear();
    this.#file.stale = true;
    options.note?.(
      `${REMOTE_OUTPUTS_LOG} is damaged (${problem}): the ${lost} output${
        lost === 1 ? "" : "s"
      } it recorded on the remote executor are forgotten; the rules that made them run again ` +
        `when they are needed`,
    );
  }

  /** How many paths are recorded as remote, not fetched. */
  get remoteCount(): number {
    if (this.#remoteCount < 0) {
      this.#remoteCount = 0;
      for (const entry of this.#entries.values()) {
        if (entry.fetched === undefined) this.#remoteCount++;
      }
    }
    return this.#remoteCount;
  }

  /**
   * What is recorded of a path.
   * @param path Project-relative path.
   * @returns The entry, if any.
   */
  get(path: string): RemoteOutput | undefined {
    return this.#entries.get(path);
  }

  /**
   * The digest of a path recorded as remote and not fetched.
   * @param path Project-relative path.
   * @returns The digest, or undefined.
   */
  remoteOnly(path: string): string | undefined {
    const entry = this.#entries.get(path);
    return entry === undefined || entry.fetched !== undefined ? undefined : entry.digest;
  }

  /** Every path recorded as remote and not fetched. */
  remotePaths(): string[] {
    return [...this.#entries].filter(([, e]) => e.fetched === undefined).map(([p]) => p);
  }

  /** Every path recorded. */
  paths(): string[] {
    return [...this.#entries.keys()];
  }

  /**
   * Records an output left on the remote executor.
   * @param path Project-relative path.
   * @param digest Its digest, as `remoteDigest` makes it.
   */
  left(path: string, digest: string): void {
    const entry = this.#entries.get(path);
    if (entry?.digest === digest && entry.fetched === undefined) return;
    this.#entries.set(path, { digest });
    this.#remoteCount = -1;
    this.#append(summedLine(`o\t${path}\t${digest}`));
  }

  /**
   * Records that a remote output was fetched: the file holds its content,
   * whose fast digest is `fast`.
   * @param path Project-relative path.
   * @param fast The fast digest of the file written.
   */
  fetched(path: string, fast: string): void {
    const entry = this.#entries.get(path);
    if (entry === undefined || entry.fetched === fast) return;
    this.#entries.set(path, { digest: entry.digest, fetched: fast });
    this.#remoteCount = -1;
    this.#append(summedLine(`m\t${path}\t${entry.digest}\t${fast}`));
  }

  /**
   * Forgets a path.
   * @param path Project-relative path.
   */
  forget(path: string): void {
    if (!this.#entries.delete(path)) return;
    this.#remoteCount = -1;
    this.#append(summedLine(`f\t${path}`));
  }

  /**
   * The files a request asked for, as its last successful build recorded them.
   * @param request The request's id.
   * @returns The paths, or undefined when not recorded.
   */
  requested(request: string): readonly string[] | undefined {
    return this.#requests.get(request);
  }

  /**
   * Records the files a request asked for.
   * @param request The request's id (no tab, no newline).
   * @param paths Project-relative paths.
   */
  setRequested(request: string, paths: readonly string[]): void {
    const known = this.#requests.get(request);
    if (known !== undefined && known.join("\t") === paths.join("\t")) return;
    this.#requests.set(request, [...paths]);
    this.#append(summedLine(["q", request, ...paths].join("\t")));
  }

  /**
   * The record as the file leaf's stand-ins (`memo/leaves/stand_ins.ts`):
   * an absent output recorded as remote is present with its digest, and a
   * fetched one that still holds what was fetched keeps it.
   * @param root The project root.
   * @returns The stand-ins.
   */
  standIns(root: string): FileStandIns {
    const prefix = root.endsWith("/") ? root : root + "/";
    const rel = (path: string) => path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
    return {
      absent: (path) => {
        const p = rel(path);
        return p === undefined ? undefined : this.remoteOnly(p);
      },
      present: (path, digest) => {
        const p = rel(path);
        const entry = p === undefined ? undefined : this.#entries.get(p);
        return entry?.fetched === digest ? entry.digest : digest;
      },
    };
  }

  /**
   * Writes nothing more: the state directory was deleted or replaced under
   * a long-lived process, and what it holds now is another build's.
   */
  abandon(): void {
    this.#file.close();
    this.#abandoned = true;
  }

  /** Closes the log, rewritten first when it is damaged or holds many more lines than entries. */
  close(): void {
    if (this.#abandoned) return;
    this.#file.close();
    const live = this.#entries.size + this.#requests.size;
    const lines = this.#file.lines;
    const overgrown = lines > REWRITE_MIN_LINES && lines > 2 * live;
    if (this.#file.stale || overgrown) this.#rewrite();
  }

  #read(bytes: Uint8Array): string | undefined {
    const header = this.#encoder.encode(HEADER);
    if (!startsWith(bytes, header)) return `it does not start with "${HEADER.trim()}"`;
    const decoder = new TextDecoder("utf-8", { fatal: true });
    let at = header.length;
    let line = 1;
    this.#file.size = at;
    while (at < bytes.length) {
      line++;
      const end = bytes.indexOf(NEWLINE, at);
      if (end < 0) {
        // Cut short by a crash: what it said was not relied on.
        this.#file.stale = true;
        break;
      }
      const lastTab = end - 9;
      if (lastTab <= at || bytes[lastTab] !== TAB) return `line ${line}: no checksum`;
      if (parseSum(bytes, lastTab + 1) !== lineSum(bytes, at, lastTab)) {
        return `line ${line}: its checksum does not match`;
      }
      let body: string;
      try {
        body = decoder.decode(bytes.subarray(at, lastTab));
      } catch {
        return `line ${line}: not UTF-8`;
      }
      if (!this.#apply(body.split("\t"))) return `line ${line}: not an entry`;
      this.#file.lines++;
      at = end + 1;
      this.#file.size = at;
    }
    return undefined;
  }

  #apply(fields: string[]): boolean {
    const [op, path] = fields;
    if (path === undefined || path === "") return false;
    if (op === "o" && fields.length === 3) this.#entries.set(path, { digest: fields[2] });
    else if (op === "m" && fields.length === 4) {
      this.#entries.set(path, { digest: fields[2], fetched: fields[3] });
    } else if (op === "f" && fields.length === 2) this.#entries.delete(path);
    else if (op === "q") this.#requests.set(path, fields.slice(2));
    else return false;
    return true;
  }

  #rewrite(): void {
    let text = "";
    for (const [path, { digest, fetched }] of this.#entries) {
      text += summedLine(
        fetched === undefined ? `o\t${path}\t${digest}` : `m\t${path}\t${digest}\t${fetched}`,
      );
    }
    for (const [request, paths] of this.#requests) {
      text += summedLine(["q", request, ...paths].join("\t"));
    }
    this.#file.replace(text, this.#entries.size + this.#requests.size);
  }

  #append(text: string): void {
    if (this.#abandoned) return;
    if (this.#file.stale) this.#rewrite();
    else this.#file.append(text, 1);
  }
}

/** The stand-ins of each project whose record a process uses, by root. */
const installed = new Map<string, FileStandIns>();

/**
 * Installs a record's stand-ins (`RemoteOutputLog#standIns`) beside those
 * of other projects this process builds: each answers for its own root.
 * @param root The project root.
 * @param standIns Its stand-ins.
 * @returns Removes them (when they are still the root's).
 *
 * @example
 * ```ts
 * import { installStandIns, RemoteOutputLog } from "./remote_outputs.ts";
 * import { fileStandIns } from "../../memo/leaves/stand_ins.ts";
 * import assert from "node:assert/strict";
 *
 * const log = new RemoteOutputLog(await Deno.makeTempDir());
 * log.left("out/b.o", `r:${"ab".repeat(32)}/3`);
 * const remove = installStandIns("/project", log.standIns("/project"));
 * assert.equal(fileStandIns()?.absent("/project/out/b.o"), `r:${"ab".repeat(32)}/3`);
 * remove();
 * assert.equal(fileStandIns(), undefined);
 * ```
 */
export function installStandIns(root: string, standIns: FileStandIns): () => void {
  installed.set(root, standIns);
  syncStandIns();
  return () => {
    if (installed.get(root) !== standIns) return;
    installed.delete(root);
    syncStandIns();
  };
}

function syncStandIns(): void {
  const all = [...installed.values()];
  if (all.length <= 1) {
    setFileStandIns(all[0]);
    return;
  }
  setFileStandIns({
    absent(path) {
      for (const standIns of all) {
        const digest = standIns.absent(path);
        if (digest !== undefined) return digest;
      }
      return undefined;
    },
    present(path, digest) {
      for (const standIns of all) {
        const kept = standIns.present(path, digest);
        if (kept !== digest) return kept;
      }
      return digest;
    },
    async fetch(path) {
      const owner = all.find((standIns) => standIns.absent(path) !== undefined);
      if (owner?.fetch === undefined) {
        throw new Error(`Cannot read ${path}: it is known by its content alone, not on disk here`);
      }
      await owner.fetch(path);
    },
  });
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}
