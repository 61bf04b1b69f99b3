/**
 * Remote outputs as a build uses them (`--remote-download minimal`, see
 * docs/remote.md): the record (`remote_outputs.ts`) seen as the file
 * leaf's stand-ins, and the fetching of a remote output before anything
 * here reads it.
 *
 * An output left on the executor counts as present with its REAPI digest
 * (`remote_digest.ts`): the next build is a no-op, and a dependent's key and
 * remote input root name it by that digest. Whatever reads it here fetches
 * it first (`materialize`): downloaded from the executor's CAS, checked,
 * written, and owned in `outputs.log` like any output; the record keeps its
 * fast digest, so the file keeps the digest the build knew it by. A file
 * that appears at the path by other means wins over the record, which is
 * dropped.
 *
 * A blob the CAS no longer holds (evicted) is lost: its record is dropped,
 * so that the file is missing and the rule that made it runs again; the
 * computation that needed it reads {@linkcode LOST_INPUT}, which the
 * builder changes before it builds again (once), so that it runs again too.
 *
 * @module
 */
import { isAbsolute, join, relative } from "node:path";
import { digestOfFile, type FileStandIns, pathPresent, readInput } from "../../memo/mod.ts";
import { LostBlobError } from "../command/command_executor.ts";
import { parseRemoteDigest } from "../command/remote_digest.ts";
import type { BuildExecutor } from "./build_executor.ts";
import type { OutputLog } from "./outputs.ts";
import type { RemoteOutputLog } from "./remote_outputs.ts";

/**
 * The engine input a computation reads when an output it needed was lost
 * from the executor's CAS: the builder changes it before building again.
 */
export const LOST_INPUT = "barchan.lost-outputs";

/**
 * A build's remote outputs (see the module doc).
 *
 * @example Without an executor, nothing is remote
 * ```ts
 * import { RemoteFiles } from "./remote_files.ts";
 * import { RemoteOutputLog } from "./remote_outputs.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const files = new RemoteFiles(dir, new RemoteOutputLog(dir), undefined, undefined);
 * assert.equal(files.minimal, false);
 * assert.equal(files.isRemote("out/a.o"), false);
 * ```
 */
export class RemoteFiles {
  /** The record. */
  readonly log: RemoteOutputLog;
  readonly #root: string;
  readonly #executor: BuildExecutor | undefined;
  readonly #outputs: OutputLog | undefined;
  readonly #inFlight = new Map<string, Promise<void>>();
  /** When each path was fetched in this process (`performance.now()`). */
  readonly #fetchedAt = new Map<string, number>();
  /**
   * The files the build under way was asked for by path: their remote
   * commands download them (the others are left remote, under minimal).
   */
  wanted: ReadonlySet<string> = new Set();
  /** Paths lost from the CAS since {@linkcode RemoteFiles.takeLost}. */
  #lost = new Set<string>();

  /**
   * @param root The project root.
   * @param log The record.
   * @param executor The build's executor, which fetches; none: nothing can be fetched.
   * @param outputs The outputs log, which owns what is fetched.
   */
  constructor(
    root: string,
    log: RemoteOutputLog,
    executor: BuildExecutor | undefined,
    outputs: OutputLog | undefined,
  ) {
    this.#root = root;
    this.log = log;
    this.#executor = executor;
    this.#outputs = outputs;
  }

  /** Whether outputs of remote commands stay there unless wanted (`--remote-download minimal`). */
  get minimal(): boolean {
    return this.#executor?.configured === true && this.#executor.minimal;
  }

  /** Whether there is an executor to fetch from. */
  get canFetch(): boolean {
    return this.#executor?.configured === true;
  }

  /**
   * The record as the file leaf's stand-ins: an absent output recorded as
   * remote is present with its digest, and a fetched one that still holds
   * what was fetched keeps it; reading one fetches it.
   * @returns The stand-ins.
   */
  standIns(): FileStandIns {
    const prefix = this.#root.endsWith("/") ? this.#root : this.#root + "/";
    return {
      ...this.log.standIns(this.#root),
      // A tracked read (memo's readText) of a file left remote fetches it first.
      fetch: (path) => this.materialize([path.slice(prefix.length)]),
    };
  }

  /**
   * Whether a path is an output left remote and absent here.
   * @param path Project-relative path.
   * @returns True when reading it here needs fetching it first.
   */
  isRemote(path: string): boolean {
    return this.log.remoteOnly(path) !== undefined && !pathPresent(join(this.#root, path));
  }

  /** {@linkcode RemoteFiles.isRemote}, bound. */
  readonly isRemoteFn = (path: string): boolean => this.isRemote(path);

  /**
   * Whether a path was fetched in this process after a moment.
   * @param path Project-relative path.
   * @param since A `performance.now()` time.
   * @returns True when it was fetched since.
   */
  fetchedSince(path: string, since: number): boolean {
    const at = this.#fetchedAt.get(path);
    return at !== undefined && at >= since;
  }

  /**
   * Fetches the paths left remote among these, so that they can be read
   * here. A path already on disk wins over its record, which is dropped.
   * @param paths Project-relative paths (others are skipped at once).
   * @throws {LostBlobError} When the CAS lost one (its record is dropped).
   */
  async materialize(paths: Iterable<string>): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const path of paths) {
      if (this.log.remoteOnly(path) === undefined) continue;
      let fetching = this.#inFlight.get(path);
      if (fetching === undefined) {
        fetching = this.#fetch(path).finally(() => this.#inFlight.delete(path));
        this.#inFlight.set(path, fetching);
      }
      waits.push(fetching);
    }
    const settled = await Promise.allSettled(waits);
    const lost = settled.flatMap((s) =>
      s.status === "rejected" && s.reason instanceof LostBlobError ? s.reason.paths : []
    );
    if (lost.length > 0) {
      readInput(LOST_INPUT);
      throw new LostBlobError(lost, this.#executor?.name ?? "the remote executor");
    }
    for (const s of settled) if (s.status === "rejected") throw s.reason;
  }

  /**
   * Checks that the executor's CAS still holds the paths left remote among
   * these, before a remote command refers to them.
   * @param paths Project-relative paths (others are skipped at once).
   * @throws {LostBlobError} When it lost some (their records are dropped).
   */
  async check(paths: Iterable<string>): Promise<void> {
    const remote = new Map<string, string>();
    for (const path of paths) {
      const digest = parseRemoteDigest(this.log.remoteOnly(path))?.digest;
      if (digest !== undefined && this.isRemote(path)) {
        remote.set(`${digest.hash}/${digest.sizeBytes}`, path);
      }
    }
    if (remote.size === 0 || this.#executor === undefined) return;
    const missing = await this.#executor.findMissing(
      [...remote.keys()].map((key) => {
        const [hash, size] = key.split("/");
        return { hash, sizeBytes: Number(size) };
      }),
    );
    if (missing.length === 0) return;
    const lost = missing.map((d) => remote.get(`${d.hash}/${d.sizeBytes}`)!);
    const error = new LostBlobError(lost, this.#executor.name);
    this.lose(error);
    throw error;
  }

  /**
   * Drops the records of files the CAS lost (local paths, as a
   * {@linkcode LostBlobError} names them), and has the computation under way
   * read {@linkcode LOST_INPUT}.
   * @param error The error.
   */
  lose(error: LostBlobError): void {
    for (const path of error.paths) {
      const rel = isAbsolute(path) ? relative(this.#root, path) : path;
      this.log.forget(rel);
      this.#lost.add(rel);
    }
    readInput(LOST_INPUT);
  }

  /**
   * The paths lost since the last call, forgotten.
   * @returns Project-relative paths.
   */
  takeLost(): string[] {
    const lost = [...this.#lost];
    this.#lost = new Set();
    return lost;
  }

  async #fetch(path: string): Promise<void> {
    const digest = this.log.remoteOnly(path);
    const remote = parseRemoteDigest(digest);
    const abs = join(this.#root, path);
    if (remote === undefined || pathPresent(abs)) {
      // What is on disk wins; a record that cannot be read is no record.
      this.log.forget(path);
      return;
    }
    if (this.#executor === undefined) throw new Error(`Cannot fetch ${path}: no remote executor`);
    try {
      await this.#executor.fetch(remote.digest, abs, remote.executable);
    } catch (error) {
      if (error instanceof LostBlobError) {
        this.log.forget(path);
        this.#lost.add(path);
        throw new LostBlobError([path], this.#executor.name);
      }
      throw error;
    }
    const fast = digestOfFile(abs);
    this.#outputs?.wrote(path, fast);
    this.log.fetched(path, fast);
    this.#fetchedAt.set(path, performance.now());
  }
}
