/**
 * The steps of one execution of a rule's action: each command it runs and
 * each target it writes, keyed (command_key.ts), replayed from the last
 * run's record while they match it (replay.ts), restored from the action
 * cache when found there, or else run, and recorded for the next time
 * (steps.ts).
 *
 * @module
 */
import { join, normalize } from "node:path";
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
import type { ActionResult, Digest, InputFile, OutputFile } from "../reapi/mod.ts";
import { sha256Digest } from "../reapi/mod.ts";
import type { InputSet } from "./inputs.ts";
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
  /** The last run's steps and targets, when they can be replayed. */
  replay?: { steps: readonly Step[]; targets: Readonly<Record<string, string>> };
  /** The files the action may read so far. */
  inputs: InputSet;
  /** The action cache, unless off (for the build, or this rule). */
  cache?: CommandCache;
  /** The cache namespace (part of every key). */
  namespace: string;
  /** Where output that does not fit in memory goes. */
  spillPath(stream: "stdout" | "stderr"): string;
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

  /** Whether a command was spawned. */
  get spawned(): boolean {
    return this.#spawned;
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
  async command(spec: CommandSpec): Promise<CommandOutcome> {
    this.#checkRestart();
    const key = await this.#key(spec);
    if (!this.#live) {
      const step = this.#replay!.command(key.actionDigest.hash);
      if (step !== undefined) return replayed(spec, step);
      await this.#diverge();
    }
    const hit = await this.#restore(spec, key);
    if (hit !== undefined) return hit;
    return await this.#run(spec, key);
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
  async finish(): Promise<Step[]> {
    this.#checkRestart();
    if (!this.#live && !this.#replay!.complete) await this.#diverge();
    if (!this.#live) this.#steps = this.#replay!.matched;
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

  async #key(spec: CommandSpec): Promise<CommandKey> {
    const root = this.#init.root;
    const state = this.#live ? this.#state : this.#replay!.state;
    const inputs: InputFile[] = await this.#init.inputs.files();
    for (const [path, value] of Object.entries(state)) {
      const [hash, size] = parseTargetState(value).sha256.split("/");
      inputs.push({ path, digest: { hash, sizeBytes: Number(size) } });
    }
    const cwd = join(root, spec.cwd);
    const tool = await toolDigest(spec.program, cwd, spec.env.PATH ?? Deno.env.get("PATH") ?? "");
    return await keyCommand(spec, dedupe(inputs), {
      namespace: this.#init.namespace,
      tool: tool?.digest ?? null,
    });
  }

  async #restore(spec: CommandSpec, key: CommandKey): Promise<CommandOutcome | undefined> {
    const cache = this.#init.cache;
    if (cache === undefined) return undefined;
    const answer = await cache.lookup(key.actionDigest);
    if ("miss" in answer) {
      this.#init.missed?.(answer.miss);
      return undefined;
    }
    const { result, source } = answer;
    const root = this.#init.root;
    const outputs = new Map<string, OutputFile>();
    for (const file of result.outputFiles) {
      const path = normalize(join(spec.cwd, file.path));
      if (!spec.outputs.includes(path)) {
        this.#init.missed?.(`entry names "${file.path}", which is not one of the rule's targets`);
        return undefined;
      }
      outputs.set(path, file);
    }
    if (result.exitCode !== 0 || result.outputDirectories.length > 0) {
      this.#init.missed?.("entry is not a successful run writing files only");
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
    for (const target of spec.outputs) {
      if (!outputs.has(target)) removeIfPresent(join(root, target));
    }
    this.#init.restored(source, key.actionDigest);
    if (stdout.length > 0) this.#init.show(stdout);
    if (stderr.length > 0) this.#init.show(stderr);
    const decoder = new TextDecoder();
    const outcome = {
      code: 0,
      signal: null,
      stdout: decoder.decode(stdout),
      stderr: decoder.decode(stderr),
      durationMs: 0,
    };
    await this.#record(commandStep(key, 0, outcome.stdout, outcome.stderr));
    return outcome;
  }

  async #run(spec: CommandSpec, key: CommandKey): Promise<CommandOutcome> {
    const init = this.#init;
    const stdout = new CapturedOutput({ spillPath: init.spillPath("stdout") });
    const stderr = new CapturedOutput({ spillPath: init.spillPath("stderr") });
    const sink = (into: CapturedOutput) => (chunk: Uint8Array) => {
      into.push(chunk);
      init.show(chunk);
    };
    this.#spawned = true;
    let durationMs = 0;
    try {
      ({ durationMs } = await init.spawn(spec, sink(stdout), sink(stderr)));
    } catch (error) {
      stdout.close();
      stderr.close();
      if (error instanceof ProcessError) {
        await this.#record(commandStep(key, error.code, stdout.text(), stderr.text()));
      }
      throw error;
    }
    stdout.close();
    stderr.close();
    const outcome = lazyOutcome(stdout, stderr, durationMs);
    const results = await this.#record(commandStep(key, 0, stdout, stderr));
    if (init.cache !== undefined && key.portable) {
      await this.#store(spec, key, results, stdout, stderr);
    }
    return outcome;
  }

  /** Records a step and the targets after it; returns those of the command's outputs present. */
  async #record(step: Step): Promise<Map<string, { digest: Digest; executable: boolean }>> {
    const root = this.#init.root;
    const state: Record<string, string> = {};
    const present = new Map<string, { digest: Digest; executable: boolean }>();
    for (const target of this.#init.targets) {
      const path = join(root, target);
      let info: Deno.FileInfo;
      try {
        info = Deno.statSync(path);
      } catch {
        continue;
      }
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
    outputs: Map<string, { digest: Digest; executable: boolean }>,
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
    for (const [target, { digest, executable }] of outputs) {
      if (!spec.outputs.includes(target)) continue;
      const relative = spec.cwd === "" ? target : normalize(target).slice(spec.cwd.length + 1);
      result.outputFiles.push({ path: relative, digest, isExecutable: executable });
      files.push({ path: join(root, target), digest });
    }
    try {
      await this.#init.cache!.store(key.actionDigest, result, files, blobs);
    } catch (error) {
      if (isCancellation(error)) throw error;
      this.#init.missed?.(`not stored: ${error instanceof Error ? error.message : error}`);
    }
  }
}

function dedupe(inputs: InputFile[]): InputFile[] {
  const byPath = new Map<string, InputFile>();
  for (const input of inputs) byPath.set(input.path, input);
  return [...byPath.values()];
}

function commandStep(
  key: CommandKey,
  code: number,
  stdout: string | CapturedOutput,
  stderr: string | CapturedOutput,
): CommandStep {
  const size = (s: string | CapturedOutput) => typeof s === "string" ? s.length : s.size;
  const text = (s: string | CapturedOutput) => typeof s === "string" ? s : s.text();
  const step: { k: string; e?: number; x?: [string, string] } = { k: key.actionDigest.hash };
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
  return { code: 0, signal: null, stdout, stderr, durationMs: 0 };
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
