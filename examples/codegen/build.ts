// Code generation: config.json -> a generator -> _build/config.ts -> a tool,
// with a runtest alias that runs the tool on test data.
import { alias, rule, run, sh } from "../../mod.ts";

const deno = Deno.execPath();

const config = rule({
  targets: "_build/config.ts",
  deps: ["gen.ts", "config.json"],
  action: run(
    deno,
    "run",
    "--allow-read",
    "--allow-write",
    "gen.ts",
    "config.json",
    "_build/config.ts",
  ),
});

const output = rule({
  targets: "_build/output.txt",
  deps: ["tool.ts", config, "testdata.txt"],
  action: sh(`"${deno}" run --allow-read tool.ts testdata.txt > _build/output.txt`),
});

alias("default", [output]);
rule({
  alias: "runtest",
  deps: [output, "expected.txt"],
  action: run("diff", "-u", "expected.txt", "_build/output.txt"),
});
