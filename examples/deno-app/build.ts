// A TypeScript app and library built with the deno helpers: each rule depends
// on the module graph of its entry points (or, for lint and fmt, the files
// under its paths), so an edit reruns exactly the rules whose graphs hold it.
import { alias, deno, rule } from "../../mod.ts";

// A generated module: the app imports the version version.json holds. The
// script may read its rule's deps and write its targets, nothing else.
const version = rule({
  targets: "_build/gen/version.ts",
  deps: ["version.json"],
  action: deno.run("tools/gen_version.ts", ["version.json", "_build/gen/version.ts"]),
});

// Rules of the app's module graph run after the generated module is built.
rule({ alias: "check", deps: [version], action: deno.check(["app/main.ts", "lib/mod.ts"]) });
rule({ alias: "test", action: deno.test(["lib/"]) });
rule({ alias: "test", action: deno.test(["app/"]) });
rule({ alias: "lint", action: deno.lint(["app/", "lib/", "tools/"]) });
rule({ alias: "fmt", action: deno.fmt(["app/", "lib/", "tools/", "deno.json"]) });
const bundle = rule({ deps: [version], action: deno.bundle("app/main.ts", "_build/greeter.js") });
const doc = rule({ action: deno.doc(["lib/mod.ts"], "_build/lib-doc.json") });

// deno compile embeds a runtime it downloads, unless DENORT_BIN names one.
rule({ alias: "compile", deps: [version], action: deno.compile("app/main.ts", "_build/greeter") });

alias("default", ["@check", "@test", "@lint", "@fmt", bundle, doc]);
