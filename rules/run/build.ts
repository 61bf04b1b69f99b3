/**
 * `build()`: one build of a project, for scripts and the CLI.
 *
 * @module
 */
import { Builder, type BuilderOptions, type BuildResult } from "./builder.ts";

/** Options of {@linkcode build}. */
export interface BuildOptions extends BuilderOptions {
  /**
   * Targets (paths relative to the project root) and `@aliases` to build.
   * @default ["@default"], or every target when there is no default alias
   */
  targets?: string[];
}

/**
 * Builds targets and aliases of the project whose build.ts is in `root` or
 * above it. Only what the requested targets need runs, in parallel up to
 * `jobs`; every failure is reported, not just the first. Each rule is a memo
 * node whose value is the digests of its targets, so an action reruns only
 * when its definition, a dependency or one of its targets changed, and a
 * target rebuilt to identical content stops the propagation.
 *
 * @param options What to build, and how.
 * @returns What ran and what failed.
 *
 * @example Building a one-rule project
 * ```ts
 * import { build } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const mod = new URL("../../mod.ts", import.meta.url).href;
 * await Deno.writeTextFile(
 *   `${dir}/build.ts`,
 *   `import { rule, write } from "${mod}";
 *    rule({ targets: "hello.txt", action: write("hello.txt", "hi") });`,
 * );
 * const result = await build({ root: dir });
 * assert.ok(result.ok);
 * assert.equal(await Deno.readTextFile(`${dir}/hello.txt`), "hi");
 * ```
 */
export async function build(options: BuildOptions = {}): Promise<BuildResult> {
  const builder = await Builder.open(options);
  try {
    await builder.load();
    return await builder.build(options.targets ?? []);
  } finally {
    builder.close();
  }
}
