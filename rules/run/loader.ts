/**
 * Evaluating build.ts for a build: inside the body of the `barchan.load`
 * memo node (nodes.ts), where every file it is made of and everything it
 * reads become the node's dependencies, or plainly, when that node is up to
 * date but this process needs the project itself (to run a function action,
 * or to name a rule's site in a message).
 *
 * The code digest of an evaluation covers the modules build.ts is made of,
 * the configuration files that decide how imports resolve, and what it read
 * while it was evaluated: every value a function action or a memo body
 * defined there can see. It is the version of every function action (their
 * rules run again when it changes, and replay the commands whose keys did
 * not) and is stamped on every memo function build.ts defines.
 *
 * @module
 */
import { dirname } from "node:path";
import { env, readDir, readInput, readsDigest, stampDefinitions, stat } from "../../memo/mod.ts";
import type { Project } from "../project/project.ts";
import { loadProject, loadProjectRecording } from "../project/load.ts";
import type { ReadTracker } from "../project/load_reads.ts";
import { configFiles, importedModules, type InfoRunner } from "../project/modules.ts";
import { type ProjectSpecs, projectSpecs } from "./specs.ts";

/** The input a load that cannot be checked later reads: it changes in every process. */
export const PROCESS_INPUT = "barchan.process";

/** A project evaluated in this process, with its specs. */
export interface LoadedProject {
  readonly project: Project;
  readonly specs: ProjectSpecs;
  /** Digest of what function actions and memo bodies defined in build.ts can see. */
  readonly code: string;
}

/** Loads one build.ts, once per change, for the builds of one process. */
export class ProjectLoader {
  readonly file: string;
  readonly root: string;
  #loaded: LoadedProject | undefined;
  #pending: Promise<LoadedProject> | undefined;
  /**
   * The modules build.ts is made of, as the last evaluation in this process
   * found them: the runtime evaluates each once, so a change to one (other
   * than build.ts, which is imported afresh) needs a new process.
   */
  readonly modules: Set<string> = new Set();

  /**
   * @param file The build.ts path.
   */
  constructor(file: string) {
    this.file = file;
    this.root = dirname(file);
  }

  /** The project as last evaluated in this process, if it was. */
  get loaded(): LoadedProject | undefined {
    return this.#loaded;
  }

  /**
   * Evaluates build.ts in the running memo body (`barchan.load`), whose
   * dependencies become the modules, the configuration files and what the
   * evaluation reads; a read that cannot be checked later makes the body
   * run again in the next process.
   * @param runner Where `deno info` runs.
   * @returns The project.
   */
  async evaluateTracked(runner: InfoRunner): Promise<LoadedProject> {
    const file = this.file;
    // What build.ts is made of is checked before it is evaluated: an edit
    // made meanwhile is a change the next build sees.
    const modules = await importedModules(file, runner);
    if (modules === undefined) readInput(PROCESS_INPUT);
    for (const path of modules ?? []) this.modules.add(path);
    for (const path of modules ?? [file]) await stat(path);
    for (const path of configFiles([this.root])) await stat(path);
    let untracked = false;
    const tracker: ReadTracker = {
      file: (path) => void stat(path).catch(() => {}),
      dir: (path) => void readDir(path).catch(() => {}),
      env: (name) => void env(name),
      untracked: () => untracked = true,
    };
    const project = await loadProjectRecording(file, tracker);
    if (untracked) readInput(PROCESS_INPUT);
    return this.#use(project, readsDigest());
  }

  /**
   * The project for this process: the one evaluated last, or build.ts
   * evaluated now (outside any memo body) when none was. `code` is what
   * the load node computed when it last evaluated it.
   * @param code The code digest to give the project.
   * @returns The project.
   */
  project(code: string): Promise<LoadedProject> {
    const loaded = this.#loaded;
    if (loaded !== undefined && loaded.code === code) return Promise.resolve(loaded);
    return this.#pending ??= loadProject(this.file)
      .then((project) => this.#use(project, code))
      .finally(() => this.#pending = undefined);
  }

  #use(project: Project, code: string): LoadedProject {
    stampDefinitions(project.memoFunctions, code);
    const loaded = { project, specs: projectSpecs(project, code), code };
    this.#loaded = loaded;
    return loaded;
  }
}
