/**
 * `--sandbox`: each command runs under bubblewrap with the project mounted
 * read-only, except the targets of its rule, so that a write anywhere else
 * in the project fails (`Read-only file system`) and is reported as the
 * rule's error, naming what it tried to write. Outside the project nothing
 * changes.
 *
 * A target can only be made writable when it exists: a missing one gets an
 * empty placeholder dated 1970 for the command, removed after it unless the
 * command wrote it. A command that replaces a target by renaming a file
 * over it fails (the target is a mount point): write it in place.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { findProgram } from "../command/tool_digest.ts";

/** The sandbox program, when installed. */
export interface Sandbox {
  /** The bubblewrap binary. */
  readonly bwrap: string;
}

/**
 * Finds bubblewrap.
 * @param path The `PATH` to search.
 * @returns The sandbox, or an error message saying how to install it.
 *
 * @example
 * ```ts
 * import { findSandbox } from "./sandbox.ts";
 * import assert from "node:assert/strict";
 *
 * const missing = findSandbox("/nowhere");
 * assert.ok(typeof missing === "string" && missing.includes("bubblewrap"));
 * ```
 */
export function findSandbox(path = Deno.env.get("PATH") ?? ""): Sandbox | string {
  if (Deno.build.os !== "linux") {
    return "--sandbox runs commands under bubblewrap, which exists on Linux only";
  }
  const bwrap = findProgram("bwrap", "/", path);
  if (bwrap === null) {
    return "--sandbox runs commands under bubblewrap (bwrap), which is not on PATH: " +
      "install it (Debian and Ubuntu: apt-get install bubblewrap), or build without --sandbox";
  }
  return { bwrap };
}

/** A command made ready to run in the sandbox. */
export interface SandboxedCommand {
  /** The program to spawn: bubblewrap. */
  readonly program: string;
  /** Its arguments: the mounts, then the command. */
  readonly args: string[];
  /** Removes the placeholders the command did not write. */
  done(): void;
}

/**
 * Wraps a command: the project read-only, the targets writable.
 * @param sandbox The sandbox.
 * @param root The project root (absolute).
 * @param targets The rule's targets, project-relative.
 * @param program The command's program.
 * @param args Its arguments.
 * @returns What to spawn, and what to do after.
 *
 * @example
 * ```ts
 * import { sandboxed } from "./sandbox.ts";
 * import assert from "node:assert/strict";
 *
 * const root = await Deno.makeTempDir();
 * const command = sandboxed({ bwrap: "/usr/bin/bwrap" }, root, ["out/a"], "cp", ["in", "out/a"]);
 * assert.deepEqual(command.args.slice(-4), ["--", "cp", "in", "out/a"]);
 * command.done(); // the placeholder for out/a, unwritten, is removed
 * assert.equal(await Deno.stat(`${root}/out/a`).catch(() => null), null);
 * ```
 */
export function sandboxed(
  sandbox: Sandbox,
  root: string,
  targets: readonly string[],
  program: string,
  args: readonly string[],
): SandboxedCommand {
  const mounts = ["--dev-bind", "/", "/", "--ro-bind", root, root];
  const placeholders: string[] = [];
  for (const target of targets) {
    const path = join(root, target);
    Deno.mkdirSync(dirname(path), { recursive: true });
    try {
      Deno.writeFileSync(path, new Uint8Array(), { createNew: true });
      Deno.utimeSync(path, 0, 0);
      placeholders.push(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    mounts.push("--bind", path, path);
  }
  return {
    program: sandbox.bwrap,
    args: [...mounts, "--", program, ...args],
    done() {
      for (const path of placeholders) {
        try {
          const info = Deno.statSync(path);
          if (info.size === 0 && (info.mtime?.getTime() ?? 1) === 0) Deno.removeSync(path);
        } catch {
          // gone already
        }
      }
    },
  };
}

/**
 * What a failed sandboxed command tried to write outside its targets, from
 * what it printed (`... Read-only file system`).
 * @param stderr What it printed on stderr.
 * @returns The line naming it, or undefined.
 *
 * @example
 * ```ts
 * import { refusedWrite } from "./sandbox.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   refusedWrite("sh: 1: cannot create main.c: Read-only file system\n"),
 *   "sh: 1: cannot create main.c: Read-only file system",
 * );
 * ```
 */
export function refusedWrite(stderr: string): string | undefined {
  return stderr.split("\n").find((line) => /Read-only file system/.test(line))?.trim();
}
