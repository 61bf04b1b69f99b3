/**
 * One build of a request, the way the CLI and `build()` run it: take the
 * project's build lock, open the memo store reading only its last
 * checkpoint and what follows it, and check the request's root against it
 * (`verifyRoot`). When nothing it depends on changed, that is the answer:
 * nothing else is loaded, build.ts is not evaluated. Otherwise the build
 * runs, its engine taking the nodes nothing changed under as verified.
 *
 * This module is on the path to a build with nothing to do: it imports the
 * store, the check and the lock, and loads the builder only when there is
 * work.
 *
 * @module
 */
import { Store } from "../../memo/persist/store.ts";
import { verifyRoot } from "../../memo/verify_root.ts";
import { digestOf } from "../../memo/stat/digest.ts";
import { installStandIns, RemoteOutputLog } from "./remote_outputs.ts";
import { dirnamePath as dirname, joinPath as join } from "../../memo/stat/paths.ts";
import { findBuildFile } from "../project/build_file.ts";
import type { Reporter } from "../report/reporter.ts";
import { STATE_DIR } from "../state.ts";
import type { BuilderOptions, BuildResult, OpenedState } from "./builder.ts";
import { lockState } from "./lock.ts";
import { isRequest, requestId, requestKey } from "./request.ts";

/** Options of {@linkcode runBuild} and {@linkcode openRequest}. */
export interface RunBuildOptions extends BuilderOptions {
  /**
   * Targets (paths relative to the project root) and `@aliases` to build.
   * @default ["@default"], or every target when there is no default alias
   */
  targets?: string[];
}

/** A request, opened: answered already, or with the project's state open for a builder. */
export type OpenedRequest =
  | {
    /** Nothing the request depends on changed. */
    readonly upToDate: true;
    /** The build that ran nothing. */
    readonly result: BuildResult;
  }
  | {
    readonly upToDate: false;
    /** The lock and the store, for {@linkcode buildOpened} (which closes them). */
    readonly state: OpenedState;
  };

/**
 * Opens a request: takes the build lock and answers from the store's
 * checkpoint when nothing the request depends on changed (the reporter then
 * hears of a build that ran nothing, and the lock is released); otherwise
 * hands over the lock and the open store. A dry run checks nothing and
 * takes no lock.
 * @param options What to build, and how.
 * @returns The answer, or the state to build with.
 */
export async function openRequest(options: RunBuildOptions = {}): Promise<OpenedRequest> {
  const started = performance.now();
  const targets = options.targets ?? [];
  const reporter: Reporter = options.reporter ?? {};
  const file = findBuildFile(options.root ?? Deno.cwd());
  if (options.dryRun) return { upToDate: false, state: { file, lock: undefined } };
  const root = dirname(file);
  const stateDir = join(root, STATE_DIR);
  const lock = await lockState(stateDir, reporter, options.signal);
  let store: Store | undefined;
  let remoteOutputs: RemoteOutputLog | undefined;
  try {
    store = new Store(stateDir, (m) => reporter.note?.(m), { lazy: true, roots: isRequest });
    // Outputs left on a remote executor count as present (the check asks the record).
    remoteOutputs = new RemoteOutputLog(stateDir, { note: (m) => reporter.note?.(m) });
    const id = requestId(requestKey(targets, options.check));
    const remote = remoteOutputs.remoteCount > 0;
    const uninstall = remoteOutputs.paths().length > 0
      ? installStandIns(root, remoteOutputs.standIns(root))
      : undefined;
    let verdict;
    try {
      verdict = verifyRoot(store, id, root);
    } finally {
      uninstall?.();
    }
    // Files whose stat fields moved but not their content keep their new
    // fields: the next check does not hash them again.
    if (verdict.refreshed.length > 0) store.append(store.lastRun + 1, verdict.refreshed);
    // A replay of what up-to-date actions printed needs their values: the builder's.
    if (
      !verdict.upToDate || options.replay ||
      (remote && !await remoteSettled(remoteOutputs, id, options))
    ) {
      return { upToDate: false, state: { file, lock, store, verdict, remoteOutputs } };
    }
    remoteOutputs.close();
    store.close();
    lock.close();
    reporter.buildStarted?.({ trigger: [] });
    const durationMs = performance.now() - started;
    reporter.buildFinished?.({
      ok: true,
      ran: 0,
      failed: 0,
      failures: [],
      durationMs,
      dryRun: false,
    });
    return {
      upToDate: true,
      result: { ok: true, ran: [], failed: [], file, dryRun: false, durationMs },
    };
  } catch (error) {
    remoteOutputs?.close();
    store?.close();
    lock.close();
    throw error;
  }
}

/**
 * Whether a request that is up to date needs nothing of the outputs left
 * on the remote executor: under `--remote-download minimal`, none of the
 * files it asked for is among them; otherwise, there are none (a build
 * without minimal fetches them all).
 */
async function remoteSettled(
  log: RemoteOutputLog,
  id: string,
  options: RunBuildOptions,
): Promise<boolean> {
  let download;
  try {
    const { remoteExecutionOptionsFromEnv } = await import("../remote/executor_options.ts");
    const remote = options.remote === false
      ? undefined
      : options.remote ?? remoteExecutionOptionsFromEnv((name) => Deno.env.get(name));
    download = remote?.download ?? "all";
  } catch {
    // The builder says what is wrong with the settings.
    return false;
  }
  if (download !== "minimal") return false;
  const requested = log.requested(digestOf(id));
  return requested !== undefined && requested.every((path) => log.remoteOnly(path) === undefined);
}

/**
 * Builds an opened request with a builder, and closes it.
 * @param state What {@linkcode openRequest} opened.
 * @param options What to build, and how.
 * @returns What ran and what failed.
 */
export async function buildOpened(
  state: OpenedState,
  options: RunBuildOptions = {},
): Promise<BuildResult> {
  const { Builder } = await import("./builder.ts");
  let builder;
  try {
    builder = new Builder(state, options);
  } catch (error) {
    state.store?.close();
    state.lock?.close();
    throw error;
  }
  let result: BuildResult;
  try {
    result = await builder.build(options.targets ?? []);
  } finally {
    builder.close();
  }
  // build.ts itself failed: that is the answer, as a one-shot build gives it.
  if (builder.loadFailure !== undefined) throw builder.loadFailure;
  return result;
}

/**
 * Builds a request once: from the store's checkpoint alone when nothing it
 * depends on changed, with a builder otherwise.
 * @param options What to build, and how.
 * @returns What ran and what failed.
 */
export async function runBuild(options: RunBuildOptions = {}): Promise<BuildResult> {
  const opened = await openRequest(options);
  if (opened.upToDate) return opened.result;
  return await buildOpened(opened.state, options);
}
