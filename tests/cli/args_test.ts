// The command-line parser of the CLI (cli/args.ts) accepts what node:util's parseArgs
// accepts for barchan's options, with the same values, and refuses what it
// refuses.

import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import { parseCommandLine } from "../../cli/args.ts";

const OPTIONS = {
  directory: { type: "string", short: "C" },
  jobs: { type: "string", short: "j" },
  verbose: { type: "boolean", short: "v" },
  quiet: { type: "boolean", short: "q" },
  json: { type: "boolean" },
  "trace-file": { type: "string" },
} as const;

const ACCEPTED: string[][] = [
  [],
  ["build"],
  ["build", "out/a", "@default"],
  ["build", "-j", "4", "-C", "dir"],
  ["build", "-j4", "-Cdir"],
  ["build", "--jobs", "4", "--directory=dir"],
  ["build", "--jobs=", "x"],
  ["-vq", "build"],
  ["build", "-vj", "3"],
  ["build", "--json", "--trace-file", "t.json", "x"],
  ["build", "--", "-v", "--json"],
  ["build", "-"],
  ["-C", "a", "-C", "b", "build"],
];

const REFUSED: string[][] = [
  ["build", "--nope"],
  ["build", "-x"],
  ["build", "-j"],
  ["build", "--jobs"],
  ["build", "-j", "-v"],
  ["build", "--json=yes"],
  ["build", "-vx"],
];

Deno.test("parseCommandLine() gives parseArgs()'s values and positionals", () => {
  for (const args of ACCEPTED) {
    const expected = parseArgs({ args, options: OPTIONS, allowPositionals: true });
    const actual = parseCommandLine(args, OPTIONS);
    assert.deepEqual(
      { values: { ...actual.values }, positionals: actual.positionals },
      { values: { ...expected.values }, positionals: expected.positionals },
      args.join(" "),
    );
  }
});

Deno.test("parseCommandLine() refuses what parseArgs() refuses, naming the option", () => {
  for (const args of REFUSED) {
    assert.throws(() => parseArgs({ args, options: OPTIONS, allowPositionals: true }));
    assert.throws(() => parseCommandLine(args, OPTIONS), TypeError, args.join(" "));
  }
  assert.throws(() => parseCommandLine(["--nope"], OPTIONS), /Unknown option '--nope'/);
  assert.throws(() => parseCommandLine(["-j"], OPTIONS), /'-j <value>' needs a value/);
});
