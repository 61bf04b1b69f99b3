/**
 * A command's key: the SHA-256 digest of the REAPI v2 `Action` that runs it.
 * One key serves every use: telling whether a command an action issues
 * again is the one it issued last time (replay), the local action cache,
 * Bazel's HTTP cache, the gRPC cache services and remote execution.
 *
 * What the key covers:
 * - the `Command`: program and arguments as given, the variables the action
 *   sets plus those of {@linkcode ENV_ALLOWLIST} that are set, the working
 *   directory, and the paths it may write (its rule's targets), sorted;
 *   its directory targets are in the input root too, empty, as they are
 *   when it runs here;
 * - the input root: a Merkle tree of `Directory` messages over every file
 *   the command may read: each file its rule depends on so far (static
 *   dependencies, `ctx.need`, `ctx.readText`, globs, the files of aliases)
 *   and each target an earlier command of the action left, with their
 *   SHA-256 digests;
 * - the platform: operating system and CPU, or the platform properties the
 *   rule gives (platform.ts);
 * - the salt: the key format's version, the cache namespace, the SHA-256 of
 *   the program's file as found on `PATH` (unless a platform names where the
 *   program comes from), and standard input.
 * What it does not cover: the ambient environment beyond the allowlist
 * (`PATH` itself, `HOME`), programs a script or tool runs in turn, files a
 * command reads that its rule does not depend on, the network and the clock.
 *
 * @module
 */
import { relative } from "node:path";
import {
  buildAction,
  type BuiltAction,
  type Digest,
  type InputFile,
  sha256Digest,
} from "../reapi/mod.ts";
import type { CommandSpec } from "./command.ts";
import type { PlatformProperties } from "./platform.ts";

/** The key format: a new version makes every earlier key miss. */
export const KEY_VERSION = "barchan-command-v1";

/**
 * Variables of barchan's environment a command's key includes when set,
 * because they change what common tools write: locale, time zone and the
 * reproducible-builds timestamp. Every other ambient variable is left out;
 * a variable an action sets through `env` is always in.
 */
export const ENV_ALLOWLIST: readonly string[] = Object.freeze([
  "LANG",
  "LC_ALL",
  "LC_CTYPE",
  "LC_MESSAGES",
  "SOURCE_DATE_EPOCH",
  "TZ",
]);

/**
 * The variables of {@linkcode ENV_ALLOWLIST} that are set in this process:
 * what a build reads once and hands to every key.
 * @returns Name to value.
 *
 * @example
 * ```ts
 * import { allowlistedEnvironment } from "./command_key.ts";
 * import assert from "node:assert/strict";
 *
 * Deno.env.set("TZ", "UTC");
 * assert.equal(allowlistedEnvironment().TZ, "UTC");
 * assert.equal(allowlistedEnvironment().HOME, undefined);
 * ```
 */
export function allowlistedEnvironment(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ENV_ALLOWLIST) {
    const value = Deno.env.get(name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** What keys a command beyond its spec and inputs. */
export interface KeyOptions {
  /** The cache namespace: keys of different namespaces never meet. @default "" */
  namespace?: string;
  /** The digest of the program's file, when it was found. @default null */
  tool?: Digest | null;
  /** Read for the variables of {@linkcode ENV_ALLOWLIST}. @default allowlistedEnvironment() */
  ambient?: Readonly<Record<string, string>>;
  /**
   * The platform the command runs on (platform.ts): it replaces this
   * machine's operating system and CPU in the key, and `tool` is left out.
   * @default undefined (this machine)
   */
  platform?: PlatformProperties;
  /**
   * Directory targets an earlier command of the same action filled, by the
   * digest of their `Tree` (`hash/size`): they are keyed by it, and the
   * command does not run elsewhere or go to the cache, since its input root
   * would lack their files.
   * @default {{}}
   */
  trees?: Readonly<Record<string, string>>;
  /**
   * Empty directories of the input root, project-relative (those of a
   * directory target it reads).
   * @default {[]}
   */
  directories?: readonly string[];
}

/** A keyed command. */
export interface CommandKey extends BuiltAction {
  /** Whether it can run elsewhere as keyed (no standard input, outputs under its directory). */
  readonly portable: boolean;
}

/**
 * Keys a command.
 * @param spec The command.
 * @param inputs The files it may read, project-relative, with their SHA-256 digests.
 * @param options Namespace, program digest, environment.
 * @returns The action, its digest (the key) and its blobs.
 *
 * @example Arguments, inputs and the program all change the key
 * ```ts
 * import { keyCommand } from "./command_key.ts";
 * import assert from "node:assert/strict";
 *
 * const spec = { program: "cp", args: ["a", "b"], env: {}, cwd: "", outputs: ["b"] };
 * const a = { path: "a", digest: { hash: "1".repeat(64), sizeBytes: 1 } };
 * const key = await keyCommand(spec, [a], { ambient: {} });
 * assert.equal((await keyCommand(spec, [a], { ambient: {} })).actionDigest.hash, key.actionDigest.hash);
 * const other = { ...a, digest: { hash: "2".repeat(64), sizeBytes: 1 } };
 * assert.notEqual((await keyCommand(spec, [other], { ambient: {} })).actionDigest.hash, key.actionDigest.hash);
 * const tool = { hash: "3".repeat(64), sizeBytes: 9 };
 * assert.notEqual((await keyCommand(spec, [a], { ambient: {}, tool })).actionDigest.hash, key.actionDigest.hash);
 * ```
 *
 * @example A platform names the tools: the local program's digest is left out
 * ```ts
 * import { keyCommand } from "./command_key.ts";
 * import assert from "node:assert/strict";
 *
 * const spec = { program: "cc", args: ["-c", "a.c"], env: {}, cwd: "", outputs: ["a.o"] };
 * const platform = { "container-image": "docker://gcc:14" };
 * const tool = { hash: "3".repeat(64), sizeBytes: 9 };
 * const remote = await keyCommand(spec, [], { ambient: {}, platform });
 * const withTool = await keyCommand(spec, [], { ambient: {}, platform, tool });
 * assert.deepEqual(withTool.actionDigest, remote.actionDigest);
 * const here = await keyCommand(spec, [], { ambient: {} });
 * assert.notDeepEqual(here.actionDigest, remote.actionDigest);
 * ```
 */
export async function keyCommand(
  spec: CommandSpec,
  inputs: readonly InputFile[],
  options: KeyOptions = {},
): Promise<CommandKey> {
  const ambient = options.ambient ?? allowlistedEnvironment();
  const environment: Record<string, string> = {};
  for (const name of ENV_ALLOWLIST) {
    const value = ambient[name];
    if (value !== undefined) environment[name] = value;
  }
  Object.assign(environment, spec.env);
  const outputs = spec.outputs.map((o) => spec.cwd === "" ? o : relative(spec.cwd, o));
  const trees = Object.entries(options.trees ?? {}).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  const portable = spec.stdin === undefined && outputs.every((o) => !o.startsWith("..")) &&
    trees.length === 0;
  const salt = [KEY_VERSION, `namespace ${options.namespace ?? ""}`];
  const platform = options.platform ?? { OSFamily: Deno.build.os, ISA: Deno.build.arch };
  if (options.tool && options.platform === undefined) {
    salt.push(`tool ${options.tool.hash}/${options.tool.sizeBytes}`);
  }
  if (spec.stdin !== undefined) {
    const stdin = await sha256Digest(new TextEncoder().encode(spec.stdin));
    salt.push(`stdin ${stdin.hash}/${stdin.sizeBytes}`);
  }
  if (!portable) salt.push(`cwd ${spec.cwd}`, ...spec.outputs.map((o) => `output ${o}`));
  for (const [dir, tree] of trees) salt.push(`tree ${dir} ${tree}`);
  const built = await buildAction({
    arguments: [spec.program, ...spec.args],
    environment,
    outputPaths: portable ? outputs : [],
    workingDirectory: portable ? spec.cwd : "",
    platform,
    inputs,
    inputDirectories: [...(spec.dirs ?? []), ...(options.directories ?? [])],
    salt: salt.join("\n"),
  });
  return { ...built, portable };
}
