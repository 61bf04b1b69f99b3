// The remote execution options of `build`: how flags and variables combine,
// and the usage errors of values that cannot be used. Builds that reach an
// executor are in tests/rules/remote/ (gRPC tests run apart).

import assert from "node:assert/strict";
import { CACHE_OPTIONS, parseCommandLine, REMOTE_OPTIONS } from "../../cli/args.ts";
import { cacheSettingsFromArgs, remoteSettingsFromArgs } from "../../cli/cache_flags.ts";
import { cli, cliWithEnv, IMPORT, withProject } from "../rules/_util.ts";

const OPTIONS = { ...CACHE_OPTIONS, ...REMOTE_OPTIONS };

Deno.test("remoteSettingsFromArgs() puts a flag over its variable, and shares --remote-instance with the cache", () => {
  const env: Record<string, string> = {
    BARCHAN_REMOTE_EXECUTOR: "grpc://env-executor:8980",
    BARCHAN_REMOTE_JOBS: "64",
    BARCHAN_REMOTE_INSTANCE: "env-instance",
    BARCHAN_REMOTE_ONLY: "1",
  };
  const read = (name: string) => env[name];
  assert.deepEqual(remoteSettingsFromArgs({}, read), {
    executor: "grpc://env-executor:8980",
    instance: "env-instance",
    jobs: 64,
    remoteOnly: true,
  });
  const { values } = parseCommandLine(
    ["--remote-executor", "grpcs://flag-executor", "--remote-jobs=8", "--remote-instance", "ci"],
    OPTIONS,
  );
  assert.deepEqual(remoteSettingsFromArgs(values, read), {
    executor: "grpcs://flag-executor",
    instance: "ci",
    jobs: 8,
    remoteOnly: true,
  });
  assert.equal(remoteSettingsFromArgs({}, () => undefined), undefined);
});

Deno.test("--remote-ca reaches the cache's options as an absolute path", () => {
  const { values } = parseCommandLine(
    ["--remote-cache", "grpcs://cache.example.com", "--remote-ca", "certs/ca.pem"],
    OPTIONS,
  );
  const settings = cacheSettingsFromArgs(
    values,
    (name) => name === "HOME" ? "/home/ci" : undefined,
  );
  assert.equal(settings.options.caFile, `${Deno.cwd()}/certs/ca.pem`);
  const remote = remoteSettingsFromArgs(
    { ...values, "remote-executor": "grpcs://build.example.com" },
    () => undefined,
  );
  assert.equal(remote?.caFile, `${Deno.cwd()}/certs/ca.pem`);
});

Deno.test("barchan build refuses remote options it cannot use, as a usage error", async () => {
  await withProject({
    "build.ts": IMPORT + `rule({ targets: "out.txt", action: write("out.txt", "x") });\n`,
  }, async (root) => {
    const cases: [string[], RegExp][] = [
      [["--remote-only"], /--remote-only needs a remote executor/],
      [
        ["--remote-executor", "grpc://127.0.0.1:1", "--remote-jobs", "0"],
        /--remote-jobs takes a whole number/,
      ],
      [["--remote-executor", "http://127.0.0.1:8980"], /expected grpc:\/\/HOST:PORT/],
      [["--remote-executor", "grpc://127.0.0.1"], /needs a port/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(root, "build", ...args);
      assert.equal(result.code, 2, args.join(" "));
      assert.match(result.stderr, message);
      assert.match(result.stderr, /Run "barchan --help" for usage/);
    }
    const fromEnv = await cliWithEnv(
      { BARCHAN_REMOTE_JOBS: "many", BARCHAN_REMOTE_EXECUTOR: "grpc://127.0.0.1:1" },
      root,
      "build",
    );
    assert.equal(fromEnv.code, 2);
    assert.match(fromEnv.stderr, /--remote-jobs takes a whole number of at least 1, not "many"/);
  });
});
