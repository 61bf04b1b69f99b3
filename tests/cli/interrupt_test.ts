// Ctrl-C (SIGINT) and SIGTERM end barchan at the first signal, and it says
// what it stopped: a build.ts whose top level never returns control (an
// endless loop), one that awaits forever, a function action that awaits
// forever.

import assert from "node:assert/strict";
import { join } from "node:path";
import { statusWithin } from "../fiber/_processes.ts";
import { CLI, IMPORT, NO_SERVER, withProject } from "../rules/_util.ts";
import { ownCacheEnv } from "../_own_cache.ts";

/** Starts `barchan build` in `root`, its output collected. */
function startBuild(root: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CLI, "build"],
    cwd: root,
    env: { NO_COLOR: "1", ...NO_SERVER, ...ownCacheEnv() },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()])
    .then(([out, err]) => out + err);
  return { child, output };
}

/** Waits until build.ts wrote its marker: its top level is running. */
async function evaluating(root: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    try {
      await Deno.stat(join(root, "evaluating"));
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  assert.fail("build.ts was never evaluated");
}

/** A build.ts that marks that its top level runs, then does `body`. */
function stuckBuild(body: string): string {
  return IMPORT + `
rule({ targets: "out.txt", action: write("out.txt", "x") });
Deno.writeTextFileSync(new URL("./evaluating", import.meta.url), "");
${body}
`;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  const code = signal === "SIGINT" ? 130 : 143;

  Deno.test(`${signal} ends a build whose build.ts loops forever at its top level, saying so (exit ${code})`, async () => {
    await withProject({ "build.ts": stuckBuild("while (true) {}") }, async (root) => {
      const { child, output } = startBuild(root);
      await evaluating(root);
      const sent = performance.now();
      child.kill(signal);
      const status = await statusWithin(child);
      const text = await output;
      console.log(
        `${signal}, endless loop: ended ${Math.round(performance.now() - sent)} ms after`,
      );
      assert.equal(status.code, code, text);
      assert.match(text, /barchan stopped while build\.ts was being evaluated: its top level/);
    });
  });

  Deno.test(`${signal} ends a build whose build.ts awaits forever at the first signal, saying so (exit ${code})`, async () => {
    await withProject(
      { "build.ts": stuckBuild("await new Promise(() => {});") },
      async (root) => {
        const { child, output } = startBuild(root);
        await evaluating(root);
        const sent = performance.now();
        child.kill(signal);
        const status = await statusWithin(child);
        const text = await output;
        console.log(
          `${signal}, awaiting forever: ended ${Math.round(performance.now() - sent)} ms after`,
        );
        assert.equal(status.code, code, text);
        assert.match(text, /barchan stopped while build\.ts was being evaluated: its top level/);
      },
    );
  });

  Deno.test(`${signal} ends a build whose function action awaits forever at the first signal (exit ${code})`, async () => {
    await withProject({
      "build.ts": IMPORT + `
rule({
  targets: "out.txt",
  action: async () => {
    Deno.writeTextFileSync(new URL("./evaluating", import.meta.url), "");
    await new Promise(() => {});
  },
});
`,
    }, async (root) => {
      const { child, output } = startBuild(root);
      await evaluating(root);
      child.kill(signal);
      const status = await statusWithin(child);
      const text = await output;
      assert.equal(status.code, code, text);
      const said = signal === "SIGINT" ? "Interrupted" : "Terminated";
      assert.match(text, new RegExp(`^${said}: no command was running$`, "m"));
    });
  });
}
