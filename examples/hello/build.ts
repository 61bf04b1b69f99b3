// A C program: each object compiled with `cc -MD`, whose depfile names every
// header the compiler read (needDepfile makes each a dependency of the
// object's rule, however deeply it was included), then linked.
import { alias, needDepfile, rule, run, sh } from "../../mod.ts";

const objects = ["main", "util"].map((name) =>
  rule({
    targets: [`_build/${name}.o`, `_build/${name}.o.d`],
    deps: [`src/${name}.c`],
    action: async (ctx) => {
      const [object, depfile] = ctx.targets;
      await ctx.run("cc", ["-MD", "-MF", depfile, "-c", `src/${name}.c`, "-o", object]);
      await needDepfile(ctx, depfile);
    },
  })
);

const hello = rule({
  targets: "_build/hello",
  deps: objects.map((o) => o.target),
  action: run("cc", "-o", "_build/hello", ...objects.map((o) => o.target)),
});

alias("default", [hello]);
rule({ alias: "runtest", deps: [hello], action: sh("./_build/hello | grep -q Hello") });
