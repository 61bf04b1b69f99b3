/**
 * The steps of one execution of a rule's action: each command it runs and
 * each target it writes, keyed (command_key.ts), replayed from the last
 * run's record while they match it (replay.ts), restored from the action
 * cache when found there, or else run, and recorded for the next time
 * (steps.ts).
 *
 * What a command may read is every file its rule depended on before it,
 * and every file the action needed after it: a tool's depfile or module
 * graph names what it read only once it ran. So a command's key is known
 * only when the action ends; it is recorded then, and the cache is written
 * then (never for an execution whose found dependencies changed while it
 * ran). Before running a command, the cache is asked under the key of what
 * is known so far: a command that found dependencies last time left there a
 * manifest of them, whose files are then built and hashed for the second
 * lookup (ccache's direct mode). A replay needs the dependencies the last
 * run found before its first step, so that its keys cover them too.
 *
 * @module
 */
import { join, normalize, relative } from "node:path";
import { digestOf } from "../../memo/mod.ts";
import { isCancellation, ProcessError } from "../../fiber/mod.ts";
import { CapturedOutput } from "../command/captured_output.ts";
import type { CommandSpec } from "../command/command.ts";
import type { CacheSource, CommandCache } from "../command/command_cache.ts";
import { type CommandKey, keyCommand } from "../command/command_key.ts";
import { readDigests, rememberDigests } from "../command/file_sha256.ts";
import { Replay } from "../command/replay.ts";
import {
  type CommandStep,
  MAX_KEPT_OUTPUT,
  parseTargetState,
  type Step,
  targetState,
  type TargetStates,
} from "../command/steps.ts";
import { toolDigest } from "../command/tool_digest.ts";
import { type PlatformProperties, underPlatform } from "../command/platform.ts";
import type { ActionResult, Digest, InputFile, OutputDirectory, OutputFile } from "../reapi/mod.ts";
import { decodeTree, sha256Digest, treeEntries } from "../reapi/mod.ts";
import { type DirOutput, readDirOutput, writeDirOutput } from "./dir_output.ts";
import { removeOwned } from "./dir_targets.ts";
import type { InputSet, Need } from "./inputs.ts";
import type { BuildExecutor } from "./build_executor.ts";
import type { RemoteFiles } from "./remote_files.ts";
import { LostBlobError } from "../command/command_executor.ts";
import { parseRemoteDigest, remoteDigest } from "../command/remote_digest.ts";
import { removeIfPresent } from "../../fiber/_remove_if_present.ts";

/** What a command did, as the action's code sees it. */
export interface CommandOutcome {
  /** Exit code (128 + signal number when killed). */
  readonly code: number;
  /** The signal that killed it, if any. */
  readonly signal: Deno.Signal | null;
  /** Standard output. */
  readonly stdout: string;
  /** Standard error. */
  readonly stderr: string;
  /** Milliseconds it ran (0 when replayed or restored). */
  readonly durationMs: number;
  /** Whether it ran in this build (here or remotely), not replayed or restored. */
  readonly ran: boolean;
}

/** Thrown into an action whose replay cannot go on: it runs again from the start. */
export class RestartAction extends Error {
  constructor() {
    super("The action starts again: its targets are not as its code expects them");
    this.name = "RestartAction";
  }
}

/** What {@linkcode ActionSteps} works with. */
export interface ActionStepsInit {
  /** The project root. */
  root: string;
  /** The rule's targets. */
  targets: readonly string[];
  /** Those of them that are directories (`dir()`). @default {[]} */
  dirs?: readonly string[];
  /** The last run's steps and targets, when they can be replayed. */
  replay?: { steps: readonly Step[]; targets: Readonly<Record<string, string>> };
  /** The files the action may read so far. */
  inputs: InputSet;
  /** The action cache, unless off (for the build, or this rule). */
  cache?: CommandCache;
  /** The cache namespace (part of every key). */
  namespace: string;
  /** The build's environment as keys see it: the allowlisted variables and `PATH`. */
  environment: BuildEnvironment;
  /** The platform the rule's commands run on (platform.ts); none is this machine. */
  platform?: PlatformProperties;
  /** The remote executor, when the build has one and the rule may use it. */
  executor?: BuildExecutor;
  /**
   * The build's remote outputs (`--remote-download minimal`): fetched before
   * a command runs here, referred to by digest when it runs remotely.
   */
  remoteFiles?: RemoteFiles;
  /** Cancels remote executions (local ones are the scheduler's). */
  signal?: AbortSignal;
  /** Where output that does not fit in memory goes. */
  spillPath(stream: string): string;
  /**
   * Spawns a command in a job slot with its output going to the sinks;
   * throws `ProcessError` on a failure, `MissingProgramError` when there is
   * no such program.
   */
  spawn(
    spec: CommandSpec,
    stdout: (chunk: Uint8Array) => void,
    stderr: (chunk: Uint8Array) => void,
  ): Promise<{ durationMs: number }>;
  /** Called once, before the first step that is not replayed: targets to delete first. */
  goLive(remove: readonly string[]): Promise<void>;
  /** Output to show for the action (what ran, or what a cache hit replays). */
  show(chunk: Uint8Array): void;
  /** Told of a step restored from the cache. */
  restored(source: CacheSource, action: Digest): void;
  /** Told why a command was not found in the cache. */
  missed?(reason: string): void;
  /** Builds dependencies a cache manifest names, as the action's own (true when they built). */
  need(deps: readonly Need[]): Promise<boolean>;
}

/** What of barchan's environment keys depend on, read once per build. */
export interface BuildEnvironment {
  /** The variables of the key's allowlist that are set. */
  readonly allowlisted: Readonly<Record<string, string>>;
  /** `PATH`, where programs are found. */
  readonly path: string;
  /** Programs found so far, by name, directory and `PATH`. */
  readonly programs: Map<string, Digest | null>;
  /**
   * Commands that ran here in less time than this, in milliseconds, are not
   * stored in the action cache: restoring them costs as much as running
   * them (`BARCHAN_CACHE_MIN_MS`, {@linkcode CACHE_MIN_MS} by default).
   */
  readonly cacheMinMs: number;
}

/**
 * Below this many milliseconds a command that ran here is not worth
 * caching: storing and restoring its result costs about what running it
 * does (a `cp`, an `echo`), as Gradle leaves copies out of its cache.
 */
export const CACHE_MIN_MS = 20;

/**
 * The least time a command must have run to be stored in the action cache,
 * from `BARCHAN_CACHE_MIN_MS` (milliseconds, 0 stores every command).
 * @param value The variable's value, if set.
 * @returns The milliseconds.
 *
 * @example
 * ```ts
 * import { CACHE_MIN_MS, cacheMinMs } from "./action_steps.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(cacheMinMs(undefined), CACHE_MIN_MS);
 * assert.equal(cacheMinMs("0"), 0);
 * assert.throws(() => cacheMinMs("fast"), /BARCHAN_CACHE_MIN_MS/);
 * ```
 */
export function cacheMinMs(value: string | undefined): number {
  if (value === undefined || value === "") return CACHE_MIN_MS;
  const ms = Number(value);
  if (!Number.isFinite(ms) || ms < 0) {
    throw new Error(
      `BARCHAN_CACHE_MIN_MS is "${value}": give a number of milliseconds (0 caches every command)`,
    );
  }
  return ms;
}

/** Where a manifest entry keeps its list of dependencies: an output file of this name. */
export const MANIFEST_PATH = ".barchan-found-dependencies.json";

/**
 * A target a step left: a file's SHA-256, or a directory's `Tree` digest
 * with the tree (`undefined` when it holds what a tree cannot: not stored).
 */
interface Output {
  digest: Digest;
  executable: boolean;
  tree?: DirOutput | string;
}

/** A command run or restored in this execution, until its key is known. */
interface LiveCommand {
  /** Its place among the steps. */
  index: number;
  spec: CommandSpec;
  /** The targets before it, as inputs. */
  before: TargetStates;
  /** Its key over what was known when it started. */
  early: CommandKey;
  /** How many dependencies the action had found when it started. */
  found: number;
  /** The files of that key, project-relative. */
  inputs: readonly InputFile[];
  /** What it left, for the cache: undefined when it came from the cache. */
  ran?: {
    outputs: Map<string, Output>;
    stdout: CapturedOutput;
    stderr: CapturedOutput;
    /** How long it ran, in milliseconds. */
    durationMs: number;
    /** Whether it ran on the remote executor (then stored whatever its time). */
    remote: boolean;
  };
}

/**
 * One execution of an action, step by step.
 *
 * @example Created for a live run, with nothing recorded yet
 * ```ts
 * import { ActionSteps } from "./action_steps.ts";
 * import assert from "node:assert/strict";
 *
 * const steps = new ActionSteps({} as never);
 * assert.deepEqual(steps.steps, []);
 * assert.equal(steps.live, true);
 * ```
 */
export class ActionSteps {
  readonly #init: ActionStepsInit;
  readonly #replay: Replay | undefined;
  #steps: Step[] = [];
  #live: boolean;
  /** The targets after the last live step, when known. */
  #state: TargetStates = {};
  #restart = false;
  #spawned = false;
  #remote = false;
  /** Commands of this execution not replayed, in order. */
  #commands: LiveCommand[] = [];

  constructor(init: ActionStepsInit) {
    this.#init = init;
    this.#replay = init.replay && new Replay(init.replay.steps, init.replay.targets);
    this.#live = this.#replay === undefined;
  }

  /** The steps so far. */
  get steps(): readonly Step[] {
    return this.#steps;
  }

  /** Whether the action went on for real (a live run, or a replay that diverged). */
  get live(): boolean {
    return this.#live;
  }

  /** Whether a command was spawned (here or remotely). */
  get spawned(): boolean {
    return this.#spawned;
  }

  /** Whether a command ran on the remote executor. */
  get remote(): boolean {
    return this.#remote;
  }

  /** Whether the action must start again (its code may have caught {@linkcode RestartAction}). */
  get mustRestart(): boolean {
    return this.#restart;
  }

  /**
   * Runs (or replays, or restores) a command.
   * @param spec The command.
   * @returns What it did.
   * @throws {ProcessError} When it failed; {@linkcode RestartAction} when
   * the action must start again.
   */
  async command(given: CommandSpec, options: { quiet?: boolean } = {}): Promise<CommandOutcome> {
    this.#checkRestart();
    const spec = underPlatform(given, this.#init.platform);
    const before = this.#live ? this.#state : this.#replay!.state;
    const { key, inputs } = await this.#keyed(spec, before);
    if (!this.#live) {
      const step = this.#replay!.command(key.actionDigest.hash);
      if (step !== undefined) return replayed(spec, step);
      await this.#diverge();
    }
    const command: LiveCommand = {
      index: this.#steps.length,
      spec,
      before,
      early: key,
      found: this.#init.inputs.found.length,
      inputs,
    };
    this.#commands.push(command);
    const hit = await this.#restore(spec, key, options.quiet ?? false);
    if (hit !== undefined) return hit;
    return await this.#run(command, options.quiet ?? false);
  }

  /**
   * Writes a target (or replays the write).
   * @param path The target, project-relative.
   * @param text Its content.
   */
  async write(path: string, text: string): Promise<void> {
    this.#checkRestart();
    const fast = digestOf(text);
    if (!this.#live) {
      if (this.#replay!.write(path, fast)) return;
      await this.#diverge();
    }
    await Deno.writeTextFile(join(this.#init.root, path), text);
    await this.#record({ w: path, d: fast });
  }

  /**
   * Ends the execution: a replay that did not match every recorded step
   * goes live here (or must restart).
   * @returns The steps to record, the last without its target states.
   */
  async finish(options: { store: boolean }): Promise<Step[]> {
    this.#checkRestart();
    if (!this.#live && !this.#replay!.complete) await this.#diverge();
    if (!this.#live) this.#steps = this.#replay!.matched;
    await this.#keyAndStore(options.store);
    const steps = [...this.#steps];
    const last = steps.length - 1;
    if (last >= 0 && steps[last].o !== undefined) {
      const { o: _, ...rest } = steps[last];
      steps[last] = rest;
    }
    return steps;
  }

  #checkRestart(): void {
    if (this.#restart) throw new RestartAction();
  }

  async #diverge(): Promise<void> {
    const replay = this.#replay!;
    const divergence = replay.diverge();
    if (divergence === null) {
      this.#restart = true;
      throw new RestartAction();
    }
    this.#live = true;
    this.#steps = replay.matched;
    this.#state = replay.state;
    for (const path of divergence.remove) {
      const { [path]: _, ...rest } = this.#state;
      this.#state = rest;
    }
    await this.#init.goLive(divergence.remove);
  }

  async #key(spec: CommandSpec, state: TargetStates): Promise<CommandKey> {
    return (await this.#keyed(spec, state)).key;
  }

  async #keyed(
    spec: CommandSpec,
    state: TargetStates,
  ): Promise<{ key: CommandKey; inputs: InputFile[] }> {
    const root = this.#init.root;
    const inputs: InputFile[] = await this.#init.inputs.files();
    const trees: Record<string, string> = {};
    for (const [path, value] of Object.entries(state)) {
      const { sha256 } = parseTargetState(value);
      if (this.#init.dirs?.includes(path)) {
        trees[path] = sha256;
        continue;
      }
      const [hash, size] = sha256.split("/");
      inputs.push({ path, digest: { hash, sizeBytes: Number(size) } });
    }
    const environment = this.#init.environment;
    const platform = this.#init.platform;
    let tool: Digest | null = null;
    // Under a platform, the program is the platform's: this machine's is not digested.
    if (platform === undefined) {
      const cwd = join(root, spec.cwd);
      const path = spec.env.PATH ?? environment.path;
      const program = `${spec.program}\0${cwd}\0${path}`;
      const known = environment.programs.get(program);
      tool = known !== undefined
        ? known
        : (await toolDigest(spec.program, cwd, path))?.digest ?? null;
      environment.programs.set(program, tool);
    }
    const files = dedupe(inputs);
    const key = await keyCommand(spec, files, {
      namespace: this.#init.namespace,
      tool,
      ambient: environment.allowlisted,
      platform,
      trees,
      directories: this.#init.inputs.directories(),
    });
    return { key, inputs: files };
  }

  async #restore(
    spec: CommandSpec,
    key: CommandKey,
    quiet: boolean,
  ): Promise<CommandOutcome | undefined> {
    const cache = this.#init.cache;
    if (cache === undefined) return undefined;
    let answer = await cache.lookup(key.actionDigest);
    if ("miss" in answer) {
      this.#init.missed?.(answer.miss);
      return undefined;
    }
    const manifest = answer.result.outputFiles.find((f) => f.path === MANIFEST_PATH);
    if (manifest !== undefined) {
      // Last time it found dependencies: build them, then ask again with them.
      const deps = await this.#manifest(cache, manifest.digest);
      if (deps === undefined || !(await this.#init.need(deps))) {
        this.#init.missed?.("the dependencies it found last time cannot be built");
        return undefined;
      }
      this.#init.inputs.add(deps);
      const full = await this.#key(spec, this.#state);
      answer = await cache.lookup(full.actionDigest);
      if ("miss" in answer) {
        this.#init.missed?.(answer.miss);
        return undefined;
      }
    }
    const { result, source } = answer;
    const root = this.#init.root;
    const dirs = spec.dirs ?? [];
    const outputs = new Map<string, OutputFile>();
    for (const file of result.outputFiles) {
      const path = normalize(join(spec.cwd, file.path));
      if (!spec.outputs.includes(path) || dirs.includes(path)) {
        this.#init.missed?.(
          `entry names "${file.path}", which is not one of the rule's file targets`,
        );
        return undefined;
      }
      outputs.set(path, file);
    }
    const trees = new Map<string, OutputDirectory>();
    for (const dir of result.outputDirectories) {
      const path = normalize(join(spec.cwd, dir.path));
      if (!dirs.includes(path)) {
        this.#init.missed?.(`entry names directory "${dir.path}", which is not a directory target`);
        return undefined;
      }
      trees.set(path, dir);
    }
    const lacking = dirs.find((dir) => !trees.has(dir));
    if (lacking !== undefined) {
      this.#init.missed?.(`entry has no tree for the directory target "${lacking}"`);
      return undefined;
    }
    if (result.exitCode !== 0) {
      this.#init.missed?.("entry is not a successful run");
      return undefined;
    }
    const [stdout, stderr] = await Promise.all([
      printed(cache, result.stdoutRaw, result.stdoutDigest),
      printed(cache, result.stderrRaw, result.stderrDigest),
    ]);
    if (stdout === undefined || stderr === undefined) {
      this.#init.missed?.("blob missing: the command's output");
      return undefined;
    }
    for (const [path, file] of outputs) {
      const restored = await cache.restoreFile(file.digest, join(root, path), {
        executable: file.isExecutable ?? false,
      });
      if (!restored) {
        this.#init.missed?.(`blob missing or corrupt: ${path}`);
        return undefined;
      }
    }
    for (const [path, dir] of trees) {
      const missing = await restoreTree(cache, dir, root, path);
      if (missing !== undefined) {
        // The command runs: every directory target empty, as before it.
        for (const written of trees.keys()) {
          removeOwned(join(root, written));
          Deno.mkdirSync(join(root, written), { recursive: true });
        }
        this.#init.missed?.(missing);
        return undefined;
      }
    }
    for (const target of spec.outputs) {
      if (!outputs.has(target) && !trees.has(target)) removeIfPresent(join(root, target));
    }
    this.#init.restored(source, key.actionDigest);
    if (stdout.length > 0 && !quiet) this.#init.show(stdout);
    if (stderr.length > 0 && !quiet) this.#init.show(stderr);
    const decoder = new TextDecoder();
    const outcome = {
      code: 0,
      signal: null,
      stdout: decoder.decode(stdout),
      stderr: decoder.decode(stderr),
      durationMs: 0,
      ran: false,
    };
    await this.#record(commandStep(key.actionDigest.hash, 0, outcome.stdout, outcome.stderr));
    return outcome;
  }

  async #manifest(cache: CommandCache, digest: Digest): Promise<Need[] | undefined> {
    const bytes = await cache.getBlob(digest);
    if (bytes === undefined) return undefined;
    try {
      const deps = JSON.parse(new TextDecoder().decode(bytes));
      return Array.isArray(deps) ? deps as Need[] : undefined;
    } catch {
      return undefined;
    }
  }

  async #run(command: LiveCommand, quiet: boolean): Promise<CommandOutcome> {
    const init = this.#init;
    const { early } = command;
    const stdout = new CapturedOutput({ spillPath: init.spillPath(`${command.index}.stdout`) });
    const stderr = new CapturedOutput({ spillPath: init.spillPath(`${command.index}.stderr`) });
    const sink = (into: CapturedOutput) => (chunk: Uint8Array) => {
      into.push(chunk);
      if (!quiet) init.show(chunk);
    };
    this.#spawned = true;
    let durationMs = 0;
    let remote = false;
    try {
      ({ durationMs, remote } = await this.#execute(command, sink(stdout), sink(stderr)));
    } catch (error) {
      stdout.close();
      stderr.close();
      // A quiet command's output is shown when it fails.
      if (quiet) { for (const captured of [stdout, stderr]) init.show(captured.bytes()); }
      if (error instanceof ProcessError) {
        const step = commandStep(early.actionDigest.hash, error.code, stdout.text(), stderr.text());
        await this.#record(step);
        // As a replayed failure gives it: with what the command printed.
        const { cmd, args, code, signal } = error;
        throw new ProcessError({
          cmd,
          args,
          code,
          signal,
          stdout: stdout.text(),
          stderr: stderr.text(),
        });
      }
      throw error;
    }
    stdout.close();
    stderr.close();
    const outcome = lazyOutcome(stdout, stderr, durationMs);
    const outputs = await this.#record(commandStep(early.actionDigest.hash, 0, stdout, stderr));
    command.ran = { outputs, stdout, stderr, durationMs, remote };
    return outcome;
  }

  /**
   * Runs a command on the remote executor when the action has one and the
   * command can run elsewhere as keyed, else spawns it here; the executor
   * falls back to here itself (build_executor.ts). What goes remote is the
   * key of what is known when the command starts: everything it can read
   * there.
   */
  async #execute(
    command: LiveCommand,
    stdout: (chunk: Uint8Array) => void,
    stderr: (chunk: Uint8Array) => void,
  ): Promise<{ durationMs: number; remote: boolean }> {
    const { spec, early } = command;
    const init = this.#init;
    const remoteFiles = init.remoteFiles;
    const local = async () => {
      // What it may read here is here: outputs left remote are fetched first.
      await remoteFiles?.materialize(command.inputs.map((i) => i.path));
      return await init.spawn(spec, stdout, stderr);
    };
    if (init.executor === undefined || !early.portable) {
      return { ...await local(), remote: false };
    }
    const root = init.root;
    const outputs = new Map(
      spec.outputs.map((o) => [spec.cwd === "" ? o : relative(spec.cwd, o), join(root, o)]),
    );
    // Only the rule's targets stay remote (not a depfile it reads back), and not those asked for.
    const leave = remoteFiles?.minimal
      ? new Set(
        spec.outputs.filter((o) => init.targets.includes(o) && !remoteFiles.wanted.has(o))
          .map((o) => join(root, o)),
      )
      : undefined;
    let remote = false;
    let ran;
    try {
      ran = await init.executor.run({
        spec,
        key: early,
        inputs: command.inputs.map((i) => ({
          path: join(root, i.path),
          digest: i.digest,
          remote: remoteFiles?.isRemote(i.path) || undefined,
        })),
        outputs,
        leave,
        stdout,
        stderr,
        signal: init.signal,
        ranRemotely: () => this.#remote = remote = true,
      }, local);
    } catch (error) {
      if (error instanceof LostBlobError) remoteFiles?.lose(error);
      throw error;
    }
    // Recorded before anything records their digests.
    for (const left of ran.left ?? []) {
      remoteFiles!.log.left(relative(root, left.path), remoteDigest(left.digest, left.executable));
    }
    return { durationMs: ran.durationMs, remote };
  }

  /**
   * Now that the action ended: each command's key over everything it may
   * have read, recorded in its step; and, unless told not to, the cache
   * written for each command that ran and whose outputs are still as it
   * left them, with a manifest under its early key when it found
   * dependencies.
   */
  async #keyAndStore(store: boolean): Promise<void> {
    const cache = this.#init.cache;
    const failed = (step: Step) => "e" in step && step.e !== undefined;
    for (const command of this.#commands) {
      // Nothing found since it started: its key is the one it was asked under.
      const full = this.#init.inputs.found.length === command.found
        ? command.early
        : await this.#key(command.spec, command.before);
      const step = this.#steps[command.index];
      if (step !== undefined && "k" in step) {
        this.#steps[command.index] = { ...step, k: full.actionDigest.hash };
      }
      const ran = command.ran;
      if (!store || cache === undefined || ran === undefined || !full.portable) continue;
      if (step === undefined || failed(step) || !this.#intact(ran.outputs)) continue;
      if (!ran.remote && ran.durationMs < this.#init.environment.cacheMinMs) continue;
      // Outputs left on the executor are not here to store: its own cache has them.
      if ([...ran.outputs.keys()].some((t) => this.#init.remoteFiles?.isRemote(t))) continue;
      await this.#store(command.spec, full, ran.outputs, ran.stdout, ran.stderr);
      if (full.actionDigest.hash !== command.early.actionDigest.hash) {
        await this.#storeManifest(command.early);
      }
    }
  }

  /** Whether a command's outputs still hold what it wrote (no later step changed them). */
  #intact(outputs: Map<string, Output>): boolean {
    for (const [target, { digest }] of outputs) {
      const now = this.#state[target];
      if (
        now === undefined || parseTargetState(now).sha256 !== `${digest.hash}/${digest.sizeBytes}`
      ) {
        return false;
      }
    }
    return true;
  }

  async #storeManifest(early: CommandKey): Promise<void> {
    const bytes = new TextEncoder().encode(JSON.stringify(this.#init.inputs.found));
    const digest = await sha256Digest(bytes);
    const result: ActionResult = {
      outputFiles: [{ path: MANIFEST_PATH, digest, isExecutable: false }],
      outputDirectories: [],
      exitCode: 0,
    };
    try {
      await this.#init.cache!.store(early.actionDigest, result, [], [{ digest, bytes }]);
    } catch (error) {
      if (isCancellation(error)) throw error;
      this.#init.missed?.(`manifest not stored: ${error instanceof Error ? error.message : error}`);
    }
  }

  /** Records a step and the targets after it; returns those of the command's outputs present. */
  async #record(step: Step): Promise<Map<string, Output>> {
    const root = this.#init.root;
    const state: Record<string, string> = {};
    const present = new Map<string, Output>();
    const remoteFiles = this.#init.remoteFiles;
    for (const target of this.#init.targets) {
      const path = join(root, target);
      let info: Deno.FileInfo;
      try {
        info = Deno.statSync(path);
      } catch {
        // Left on the executor: known by its digest.
        const remote = parseRemoteDigest(remoteFiles?.log.remoteOnly(target));
        if (remote !== undefined) {
          const { digest, executable } = remote;
          state[target] = targetState(
            remoteDigest(digest, executable),
            `${digest.hash}/${digest.sizeBytes}`,
          );
          present.set(target, { digest, executable });
        }
        continue;
      }
      if (this.#init.dirs?.includes(target)) {
        if (!info.isDirectory) continue;
        const tree = await readDirOutput(root, target);
        // A tree that cannot be stored is still recorded, by its own digest.
        const digest = typeof tree === "string" ? await unstorable(tree) : tree.tree.digest;
        const fast = typeof tree === "string" ? digest.hash : tree.fast;
        state[target] = targetState(fast, `${digest.hash}/${digest.sizeBytes}`);
        present.set(target, { digest, executable: false, tree });
        continue;
      }
      // A file here wins over a record of it on the executor.
      if (remoteFiles?.log.remoteOnly(target) !== undefined) remoteFiles.log.forget(target);
      if (!info.isFile) continue;
      const digests = await readDigests(path);
      rememberDigests(path, digests);
      state[target] = targetState(
        digests.fast,
        `${digests.sha256.hash}/${digests.sha256.sizeBytes}`,
      );
      present.set(target, { digest: digests.sha256, executable: ((info.mode ?? 0) & 0o111) !== 0 });
    }
    this.#state = state;
    this.#steps.push({ ...step, o: state });
    return present;
  }

  async #store(
    spec: CommandSpec,
    key: CommandKey,
    outputs: Map<string, Output>,
    stdout: CapturedOutput,
    stderr: CapturedOutput,
  ): Promise<void> {
    const root = this.#init.root;
    const blobs: { digest: Digest; bytes: Uint8Array }[] = [];
    const result: ActionResult = { outputFiles: [], outputDirectories: [], exitCode: 0 };
    for (const [stream, captured] of [["out", stdout], ["err", stderr]] as const) {
      if (captured.size === 0) continue;
      const bytes = captured.bytes();
      const digest = await sha256Digest(bytes);
      blobs.push({ digest, bytes });
      if (stream === "out") result.stdoutDigest = digest;
      else result.stderrDigest = digest;
    }
    const files: { path: string; digest: Digest }[] = [];
    for (const [target, { digest, executable, tree }] of outputs) {
      if (!spec.outputs.includes(target)) continue;
      const relative = spec.cwd === "" ? target : normalize(target).slice(spec.cwd.length + 1);
      if (tree === undefined) {
        result.outputFiles.push({ path: relative, digest, isExecutable: executable });
        files.push({ path: join(root, target), digest });
        continue;
      }
      if (typeof tree === "string") {
        this.#init.missed?.(`not stored: ${tree}`);
        return;
      }
      result.outputDirectories.push({ path: relative, treeDigest: tree.tree.digest });
      blobs.push({ digest: tree.tree.digest, bytes: tree.tree.bytes });
      for (const file of tree.files) files.push({ path: file.path, digest: file.digest });
    }
    try {
      await this.#init.cache!.store(key.actionDigest, result, files, blobs);
    } catch (error) {
      if (isCancellation(error)) throw error;
      this.#init.missed?.(`not stored: ${error instanceof Error ? error.message : error}`);
    }
  }
}

/**
 * Writes a directory target from the cache's `Tree` and blobs.
 * @returns Why not, when a blob is missing or the tree is damaged.
 */
async function restoreTree(
  cache: CommandCache,
  dir: OutputDirectory,
  root: string,
  path: string,
): Promise<string | undefined> {
  const bytes = await cache.getBlob(dir.treeDigest);
  if (bytes === undefined) return `blob missing or corrupt: the tree of ${path}`;
  let entries;
  try {
    entries = await treeEntries(decodeTree(bytes));
  } catch (error) {
    return `tree of ${path} damaged: ${error instanceof Error ? error.message : error}`;
  }
  const written = await writeDirOutput(
    join(root, path),
    entries,
    (digest, file, options) => cache.restoreFile(digest, file, options),
  );
  return written ? undefined : `blob missing or corrupt: a file of ${path}`;
}

/** A digest that names a tree no cache holds (a special file in it), for its step's state. */
async function unstorable(why: string): Promise<Digest> {
  return await sha256Digest(new TextEncoder().encode(`unstorable tree: ${why}`));
}

function dedupe(inputs: InputFile[]): InputFile[] {
  const byPath = new Map<string, InputFile>();
  for (const input of inputs) byPath.set(input.path, input);
  return [...byPath.values()];
}

function commandStep(
  key: string,
  code: number,
  stdout: string | CapturedOutput,
  stderr: string | CapturedOutput,
): CommandStep {
  const size = (s: string | CapturedOutput) => typeof s === "string" ? s.length : s.size;
  const text = (s: string | CapturedOutput) => typeof s === "string" ? s : s.text();
  const step: { k: string; e?: number; x?: [string, string] } = { k: key };
  if (code !== 0) step.e = code;
  if (size(stdout) + size(stderr) <= MAX_KEPT_OUTPUT) step.x = [text(stdout), text(stderr)];
  return step;
}

function replayed(spec: CommandSpec, step: CommandStep): CommandOutcome {
  const [stdout, stderr] = step.x ?? ["", ""];
  if (step.e !== undefined) {
    throw new ProcessError({
      cmd: spec.program,
      args: [...spec.args],
      code: step.e,
      signal: null,
      stdout,
      stderr,
    });
  }
  return { code: 0, signal: null, stdout, stderr, durationMs: 0, ran: false };
}

function lazyOutcome(
  stdout: CapturedOutput,
  stderr: CapturedOutput,
  durationMs: number,
): CommandOutcome {
  let out: string | undefined;
  let err: string | undefined;
  return {
    code: 0,
    signal: null,
    get stdout() {
      return out ??= stdout.text();
    },
    get stderr() {
      return err ??= stderr.text();
    },
    durationMs,
    ran: true,
  };
}

async function printed(
  cache: CommandCache,
  raw: Uint8Array | undefined,
  digest: Digest | undefined,
): Promise<Uint8Array | undefined> {
  if (raw !== undefined && raw.length > 0) return raw;
  if (digest === undefined || digest.sizeBytes === 0) return new Uint8Array();
  return await cache.getBlob(digest);
}
