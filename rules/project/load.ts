/**
 * Finding build.ts (searched upward from a directory, like dune-project) and
 * loading it into a {@linkcode Project}.
 *
 * @module
 */
import { dirname } from "node:path";
import { armWatchdog, Mutex } from "../../fiber/mod.ts";
import { redefine } from "../../memo/mod.ts";
import { BuildFileError } from "../dsl/errors.ts";
import { type ReadTracker, recordLoadReads } from "./load_reads.ts";
import { loadErrorMessage, refuseExit } from "./_load_error.ts";
import { Project, setLoadingProject } from "./project.ts";

export { BUILD_FILE, findBuildFile } from "./build_file.ts";

let loads = 0;

/** One load at a time: `rule()` adds to the project being loaded, one per process. */
const loading = new Mutex();

/**
 * Evaluates build.ts and returns the rules and aliases it defined. Each load
 * evaluates the file afresh, so memo functions it defines are redefined.
 * Loads in one process run one after another.
 * @param file The build.ts path.
 * @returns The project.
 */
export function loadProject(file: string): Promise<Project> {
  return loading.withLock(() => evaluate(file));
}

/**
 * {@linkcode loadProject}, handing `tracker` what build.ts reads through
 * Deno's API (see load_reads.ts), also when loading fails.
 * @param file The build.ts path.
 * @param tracker Receives the reads, each just before it is made.
 * @returns The project.
 */
export function loadProjectRecording(file: string, tracker: ReadTracker): Promise<Project> {
  return loading.withLock(() => recordLoadReads(() => evaluate(file), tracker));
}

async function evaluate(file: string): Promise<Project> {
  const project = new Project(dirname(file), file);
  setLoadingProject(project);
  const query = `?load=${++loads}`;
  const restoreExit = refuseExit(project.root);
  // Ctrl-C must work even when build.ts never returns control.
  const release = armWatchdog(
    "barchan stopped while build.ts was being evaluated: its top level had not returned " +
      "(an endless loop, or a wait that never ends?)",
  );
  try {
    await redefine(() => import(`${fileUrl(file)}${query}`), project.memoFunctions);
  } catch (error) {
    if (error instanceof BuildFileError) throw error;
    throw new BuildFileError(
      file,
      `cannot be loaded: ${loadErrorMessage(error, project.root, query)}`,
    );
  } finally {
    release();
    restoreExit();
    setLoadingProject(undefined);
  }
  if (project.problems.length > 0) throw new BuildFileError(file, project.problems.join("\n"));
  return project;
}

/** The `file:` URL of an absolute path (without `node:url`, which is slow to load). */
function fileUrl(path: string): string {
  return "file://" + path.split("/").map(encodeURIComponent).join("/");
}
