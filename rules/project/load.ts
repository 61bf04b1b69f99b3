/**
 * Finding build.ts (searched upward from a directory, like dune-project) and
 * loading it into a {@linkcode Project}.
 *
 * @module
 */
import { dirname } from "node:path";
import { Mutex } from "../../fiber/mutex.ts";
import { redefine } from "../../memo/registry.ts";
import { BuildFileError } from "../dsl/errors.ts";
import { type LoadReads, recordLoadReads } from "./load_reads.ts";
import { Project, setLoadingProject } from "./project.ts";

export { BUILD_FILE, findBuildFile } from "./build_file.ts";

let loads = 0;

/** One load at a time: `rule()` adds to the project being loaded, one per process. */
const loading = new Mutex();

// deno-lint-ignore no-control-regex
const ANSI_COLOUR = /\x1b\[[0-9;]*m/g;

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
 * {@linkcode loadProject}, recording into `reads` what build.ts read through
 * Deno's API (see load_reads.ts), also when loading fails.
 * @param file The build.ts path.
 * @param reads Receives the reads.
 * @returns The project.
 */
export function loadProjectRecording(file: string, reads: LoadReads): Promise<Project> {
  return loading.withLock(() => recordLoadReads(() => evaluate(file), reads));
}

async function evaluate(file: string): Promise<Project> {
  const project = new Project(dirname(file), file);
  setLoadingProject(project);
  const query = `?load=${++loads}`;
  try {
    await redefine(() => import(`${fileUrl(file)}${query}`), project.memoFunctions);
  } catch (error) {
    if (error instanceof BuildFileError) throw error;
    // Deno's message may name the module with the query that forces a fresh
    // load, and may carry colour codes meant for a terminal.
    const message = (error instanceof Error ? error.message : String(error))
      .replaceAll(query, "")
      .replace(ANSI_COLOUR, "");
    throw new BuildFileError(file, `cannot be loaded: ${message}`);
  } finally {
    setLoadingProject(undefined);
  }
  if (project.problems.length > 0) throw new BuildFileError(file, project.problems.join("\n"));
  return project;
}

/** The `file:` URL of an absolute path (without `node:url`, which is slow to load). */
function fileUrl(path: string): string {
  return "file://" + path.split("/").map(encodeURIComponent).join("/");
}
