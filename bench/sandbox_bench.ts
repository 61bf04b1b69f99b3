// What --sandbox costs a command: `true` spawned plainly and under
// bubblewrap (the project read-only, one target writable), one at a time.
//
//   deno bench -A bench/sandbox_bench.ts

import { findSandbox, sandboxed } from "../rules/run/sandbox.ts";

const root = await Deno.makeTempDir({ prefix: "barchan_sandbox_bench_" });
const sandbox = findSandbox();

Deno.bench({ name: "plain spawn", group: "sandbox", baseline: true }, async () => {
  await new Deno.Command("true", { cwd: root }).output();
});

Deno.bench({
  name: "under bubblewrap",
  group: "sandbox",
  ignore: typeof sandbox === "string",
  async fn() {
    if (typeof sandbox === "string") return;
    const command = sandboxed(sandbox, root, ["out.txt"], "true", []);
    await new Deno.Command(command.program, { args: command.args, cwd: root }).output();
    command.done();
  },
});
