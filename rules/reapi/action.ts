/**
 * From a command line to its REAPI `Action`: the digest that keys it in
 * every cache, and the blobs a CAS needs to run it (`Command`, `Action`,
 * the input root's directories).
 *
 * Everything that REAPI requires sorted is sorted here, by code point:
 * environment variables by name, output paths (deduplicated), platform
 * properties by name then value. The platform goes in both `Action.platform`
 * (v2.2) and the deprecated `Command.platform`, as v2.2 asks of clients.
 *
 * @module
 */

import { buildInputRoot, type InputFile, type InputRoot } from "./input_root.ts";
import { loadDigests, sha256DigestSync } from "./digest.ts";
import {
  type Action,
  type Command,
  type Digest,
  encodeAction,
  encodeCommand,
  type Platform,
  type PlatformProperty,
} from "./messages.ts";
import { compareCodePoints } from "./_compare.ts";
import { splitRelativePath } from "./_paths.ts";

/**
 * What an action runs and reads: the input of {@linkcode buildAction}.
 *
 * @example A compile step
 * ```ts
 * import type { ActionSpec } from "./action.ts";
 * import assert from "node:assert/strict";
 *
 * const spec: ActionSpec = {
 *   arguments: ["cc", "-c", "src/a.c", "-o", "out/a.o"],
 *   environment: { PATH: "/usr/bin:/bin" },
 *   outputPaths: ["out/a.o"],
 *   inputs: [{ path: "src/a.c", digest: { hash: "a".repeat(64), sizeBytes: 20 } }],
 *   salt: "barchan/1 main",
 * };
 * assert.equal(spec.arguments[0], "cc");
 * ```
 */
export interface ActionSpec {
  /** argv: the program (absolute, or relative to the working directory) and its arguments. */
  arguments: readonly string[];
  /** The command's whole environment. @default {{}} */
  environment?: Readonly<Record<string, string>>;
  /** Files and directories to collect, relative to the working directory. @default {[]} */
  outputPaths?: readonly string[];
  /** Where to run, relative to the input root; `""` is the root. @default {""} */
  workingDirectory?: string;
  /**
   * Properties the worker must have: a record, or a list where a name may
   * repeat.
   *
   * @default {{}}
   */
  platform?: Readonly<Record<string, string>> | readonly PlatformProperty[];
  /** The files the command may read. @default {[]} */
  inputs?: readonly InputFile[];
  /** Directories to create even if empty (the working directory always is). @default {[]} */
  inputDirectories?: readonly string[];
  /** Bytes (or a string, as UTF-8) that put the action in its own cache namespace. @default empty */
  salt?: Uint8Array | string;
  /** How long the command may run, in whole milliseconds; 0 is the server's default. @default 0 */
  timeoutMs?: number;
  /** Whether results must not be cached. @default false */
  doNotCache?: boolean;
}

/**
 * An action ready to look up or run: its key and its encoded messages.
 *
 * @example Every blob, with its digest
 * ```ts
 * import { buildAction, type BuiltAction, sha256Digest } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const built: BuiltAction = await buildAction({ arguments: ["true"] });
 * assert.deepEqual(await sha256Digest(built.action), built.actionDigest);
 * assert.deepEqual(await sha256Digest(built.command), built.commandDigest);
 * assert.equal(built.blobs.size, 3); // action, command, the empty input root
 * ```
 */
export interface BuiltAction {
  /** The digest of the encoded `Action`: the cache key. */
  actionDigest: Digest;
  /** The encoded `Action`. */
  action: Uint8Array;
  /** The digest of the encoded `Command`. */
  commandDigest: Digest;
  /** The encoded `Command`. */
  command: Uint8Array;
  /** The input root: its digest and encoded directories. */
  inputRoot: InputRoot;
  /** Every blob above (action, command, directories) by hash, for a CAS upload. */
  blobs: Map<string, Uint8Array>;
}

/**
 * Builds an action's `Command`, input root and `Action`, and the action's
 * digest.
 *
 * @param spec What the action runs and reads.
 * @returns The action's digest and blobs.
 *
 * @example The key does not depend on the order of the environment
 * ```ts
 * import { buildAction } from "./action.ts";
 * import assert from "node:assert/strict";
 *
 * const a = await buildAction({ arguments: ["env"], environment: { A: "1", B: "2" } });
 * const b = await buildAction({ arguments: ["env"], environment: { B: "2", A: "1" } });
 * const c = await buildAction({ arguments: ["env"], environment: { A: "1", B: "3" } });
 * assert.deepEqual(a.actionDigest, b.actionDigest);
 * assert.notDeepEqual(a.actionDigest, c.actionDigest);
 * ```
 */
export async function buildAction(spec: ActionSpec): Promise<BuiltAction> {
  if (spec.arguments.length === 0) {
    throw new Error("Cannot build an action without arguments: give at least the program");
  }
  for (const arg of spec.arguments) {
    if (arg.includes("\0")) {
      throw new Error(`Cannot build an action: argument ${JSON.stringify(arg)} contains NUL`);
    }
  }
  const workingDirectory = spec.workingDirectory ?? "";
  if (workingDirectory !== "") splitRelativePath(workingDirectory, "working directory");
  const platform = _platform(spec.platform ?? {});
  const command: Command = {
    arguments: [...spec.arguments],
    environmentVariables: _environment(spec.environment ?? {}),
    outputPaths: _outputPaths(spec.outputPaths ?? []),
    workingDirectory,
    platform,
  };
  const inputDirectories = [...(spec.inputDirectories ?? [])];
  if (workingDirectory !== "") inputDirectories.push(workingDirectory);
  const inputRoot = await buildInputRoot(spec.inputs ?? [], { directories: inputDirectories });

  await loadDigests();
  const commandBytes = encodeCommand(command);
  const commandDigest = sha256DigestSync(commandBytes)!;
  const action: Action = {
    commandDigest,
    inputRootDigest: inputRoot.root,
    timeout: _timeout(spec.timeoutMs ?? 0),
    doNotCache: spec.doNotCache,
    salt: typeof spec.salt === "string" ? new TextEncoder().encode(spec.salt) : spec.salt,
    platform,
  };
  const actionBytes = encodeAction(action);
  const actionDigest = sha256DigestSync(actionBytes)!;

  const blobs = new Map(inputRoot.directories);
  blobs.set(commandDigest.hash, commandBytes);
  blobs.set(actionDigest.hash, actionBytes);
  return {
    actionDigest,
    action: actionBytes,
    commandDigest,
    command: commandBytes,
    inputRoot,
    blobs,
  };
}

function _environment(environment: Readonly<Record<string, string>>) {
  const names = Object.keys(environment).sort(compareCodePoints);
  return names.map((name) => {
    const value = environment[name];
    if (name === "" || name.includes("=") || name.includes("\0") || value.includes("\0")) {
      throw new Error(
        `Cannot build an action: environment variable ${
          JSON.stringify(name)
        } needs a name without "=" or NUL and a value without NUL`,
      );
    }
    return { name, value };
  });
}

function _outputPaths(paths: readonly string[]): string[] {
  for (const path of paths) splitRelativePath(path, "output path");
  return [...new Set(paths)].sort(compareCodePoints);
}

function _platform(
  platform: Readonly<Record<string, string>> | readonly PlatformProperty[],
): Platform | undefined {
  const properties: PlatformProperty[] = Array.isArray(platform)
    ? platform.map(({ name, value }) => ({ name, value }))
    : Object.entries(platform).map(([name, value]) => ({ name, value }));
  if (properties.length === 0) return undefined;
  for (const { name } of properties) {
    if (name === "") throw new Error("Cannot build an action: a platform property has no name");
  }
  properties.sort((a, b) =>
    compareCodePoints(a.name, b.name) || compareCodePoints(a.value, b.value)
  );
  return { properties };
}

function _timeout(ms: number) {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new RangeError(
      `Cannot build an action with a timeout of ${ms} ms: give whole milliseconds, 0 or more`,
    );
  }
  if (ms === 0) return undefined;
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}
