// A C program: objects compiled from sources, headers found by scanning
// #include lines (a memo function) and needed while the rule runs.
import { alias, memo, readText, rule, run, sh } from "../../mod.ts";

const includes = memo(
  "hello.includes",
  async (file: string) =>
    [...(await readText(file)).matchAll(/#include "(.+?)"/g)].map((m) => `src/${m[1]}`),
);

const objects = ["main", "util"].map((name) =>
  rule({
    targets: `_build/${name}.o`,
    deps: [`src/${name}.c`],
    action: async (ctx) => {
      await ctx.need(await includes(`src/${name}.c`));
      await ctx.run("cc", ["-c", `src/${name}.c`, "-o", `_build/${name}.o`]);
    },
  })
);

const hello = rule({
  targets: "_build/hello",
  deps: objects,
  action: run("cc", "-o", "_build/hello", ...objects.map((o) => o.target)),
});

alias("default", [hello]);
rule({ alias: "runtest", deps: [hello], action: sh("./_build/hello | grep -q Hello") });
