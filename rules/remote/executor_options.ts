/**
 * What configures remote execution, from command-line flags and the
 * environment. A flag wins over its variable, and a variable over the
 * default:
 *
 * | Flag                       | Variable                   | Default                   |
 * | -------------------------- | -------------------------- | ------------------------- |
 * | `--remote-executor URL`    | `BARCHAN_REMOTE_EXECUTOR`  | none: every command here  |
 * | `--remote-instance NAME`   | `BARCHAN_REMOTE_INSTANCE`  | `""`                      |
 * | `--remote-jobs N`          | `BARCHAN_REMOTE_JOBS`      | 50                        |
 * | `--remote-only`            | `BARCHAN_REMOTE_ONLY=1`    | fall back to local        |
 * | `--remote-ca FILE`         | `BARCHAN_REMOTE_CA`        | the system's roots        |
 * | `--remote-download MODE`   | `BARCHAN_REMOTE_DOWNLOAD`  | `all`                     |
 * |                            | `BARCHAN_REMOTE_HEADERS`   | none                      |
 *
 * The headers (`Name=value,Other=value`) are read by the channel itself
 * (headers.ts). This module imports nothing of gRPC.
 *
 * @module
 */

import { parseEndpoint } from "./endpoint.ts";

/**
 * How commands run remotely.
 *
 * @example An executor with 32 commands at a time, never falling back
 * ```ts
 * import type { RemoteExecutionOptions } from "./executor_options.ts";
 * import assert from "node:assert/strict";
 *
 * const options: RemoteExecutionOptions = {
 *   executor: "grpcs://remote.buildbuddy.io",
 *   jobs: 32,
 *   remoteOnly: true,
 * };
 * assert.equal(options.instance, undefined);
 * ```
 */
export interface RemoteExecutionOptions {
  /** The executor: `grpc://HOST:PORT` or `grpcs://HOST[:PORT]`. */
  executor: string;
  /**
   * The REAPI instance name.
   * @default ""
   */
  instance?: string;
  /**
   * How many commands run remotely at once, beside the local `-j` slots.
   * @default 50
   */
  jobs?: number;
  /**
   * Whether a command that can run remotely must: when the executor cannot
   * be reached or fails, the command fails instead of running here.
   * @default false
   */
  remoteOnly?: boolean;
  /**
   * PEM file of the certificate authorities trusted for `grpcs://`.
   * @default the system's roots
   */
  caFile?: string;
  /**
   * Which outputs of remote commands are downloaded: `all`, or `minimal`:
   * only the files the build was asked for, the others left in the
   * executor's CAS until something here reads them (docs/remote.md).
   * @default "all"
   */
  download?: RemoteDownload;
  /**
   * Headers sent with every call (names lowercase).
   * @default those of `BARCHAN_REMOTE_HEADERS`
   */
  headers?: [string, string][];
}

/**
 * Which outputs of remote commands are downloaded (`--remote-download`).
 *
 * @example
 * ```ts
 * import type { RemoteDownload } from "./executor_options.ts";
 * import assert from "node:assert/strict";
 *
 * const mode: RemoteDownload = "minimal";
 * assert.equal(mode, "minimal");
 * ```
 */
export type RemoteDownload = "all" | "minimal";

/**
 * The remote execution flags, by meaning. Absent means not given.
 *
 * @example `--remote-executor URL --remote-jobs 32`
 * ```ts
 * import type { RemoteExecutionFlags } from "./executor_options.ts";
 * import assert from "node:assert/strict";
 *
 * const flags: RemoteExecutionFlags = { remoteExecutor: "grpc://10.0.0.2:8980", remoteJobs: "32" };
 * assert.equal(flags.remoteOnly, undefined);
 * ```
 */
export interface RemoteExecutionFlags {
  /** `--remote-executor URL`. */
  remoteExecutor?: string;
  /** `--remote-instance NAME`. */
  remoteInstance?: string;
  /** `--remote-jobs N`, as written. */
  remoteJobs?: string;
  /** `--remote-only`. */
  remoteOnly?: boolean;
  /** `--remote-ca FILE`. */
  remoteCa?: string;
  /** `--remote-download all|minimal`, as written. */
  remoteDownload?: string;
}

/** The default of {@linkcode RemoteExecutionOptions.jobs}. */
const _DEFAULT_JOBS = 50;

/**
 * Remote execution's options from flags and the environment (see the module
 * doc for the names and the precedence).
 *
 * @param env Reads an environment variable.
 * @param flags The flags given.
 * @returns The options, or `undefined` when no executor is configured.
 * @throws {Error} When a value cannot be used: an endpoint that is not
 * grpc:// or grpcs://, a job count that is not a whole number of at least 1,
 * `--remote-only` without an executor.
 *
 * @example A flag over its variable
 * ```ts
 * import { remoteExecutionOptionsFromEnv } from "./executor_options.ts";
 * import assert from "node:assert/strict";
 *
 * const env: Record<string, string> = {
 *   BARCHAN_REMOTE_EXECUTOR: "grpc://127.0.0.1:8980",
 *   BARCHAN_REMOTE_JOBS: "16",
 * };
 * const options = remoteExecutionOptionsFromEnv((name) => env[name], { remoteJobs: "32" });
 * assert.deepEqual(options, { executor: "grpc://127.0.0.1:8980", jobs: 32 });
 * assert.equal(remoteExecutionOptionsFromEnv(() => undefined), undefined);
 * assert.throws(
 *   () => remoteExecutionOptionsFromEnv(() => undefined, { remoteOnly: true }),
 *   /--remote-only needs a remote executor/,
 * );
 * ```
 */
export function remoteExecutionOptionsFromEnv(
  env: (name: string) => string | undefined,
  flags: RemoteExecutionFlags = {},
): RemoteExecutionOptions | undefined {
  const executor = _given(flags.remoteExecutor) ?? _given(env("BARCHAN_REMOTE_EXECUTOR"));
  const remoteOnly = flags.remoteOnly === true ||
    _switch("BARCHAN_REMOTE_ONLY", env("BARCHAN_REMOTE_ONLY"));
  const download = _download(
    _given(flags.remoteDownload) ?? _given(env("BARCHAN_REMOTE_DOWNLOAD")) ?? "all",
  );
  if (executor === undefined) {
    if (download === "minimal") {
      throw new Error(
        "--remote-download minimal needs a remote executor: give --remote-executor " +
          "grpc://HOST:PORT (or BARCHAN_REMOTE_EXECUTOR)",
      );
    }
    if (remoteOnly) {
      throw new Error(
        "--remote-only needs a remote executor: give --remote-executor grpc://HOST:PORT " +
          "(or BARCHAN_REMOTE_EXECUTOR)",
      );
    }
    return undefined;
  }
  try {
    parseEndpoint(executor);
  } catch (error) {
    throw new Error(`${(error as Error).message} (--remote-executor)`);
  }
  const options: RemoteExecutionOptions = { executor };
  const instance = _given(flags.remoteInstance) ?? _given(env("BARCHAN_REMOTE_INSTANCE"));
  if (instance !== undefined) options.instance = instance;
  const jobs = _given(flags.remoteJobs) ?? _given(env("BARCHAN_REMOTE_JOBS"));
  if (jobs !== undefined) options.jobs = _jobs(jobs);
  if (remoteOnly) options.remoteOnly = true;
  const ca = _given(flags.remoteCa) ?? _given(env("BARCHAN_REMOTE_CA"));
  if (ca !== undefined) options.caFile = ca.startsWith("/") ? ca : `${Deno.cwd()}/${ca}`;
  if (download === "minimal") options.download = download;
  return options;
}

/**
 * How many commands run remotely at once under these options.
 *
 * @param options The options, if any.
 * @returns The jobs, 0 without an executor.
 *
 * @example The default
 * ```ts
 * import { remoteJobsOf } from "./executor_options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(remoteJobsOf({ executor: "grpc://127.0.0.1:8980" }), 50);
 * assert.equal(remoteJobsOf(undefined), 0);
 * ```
 */
export function remoteJobsOf(options: RemoteExecutionOptions | undefined): number {
  return options === undefined ? 0 : options.jobs ?? _DEFAULT_JOBS;
}

function _given(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function _jobs(text: string): number {
  const jobs = Number(text);
  if (Number.isInteger(jobs) && jobs >= 1) return jobs;
  throw new Error(`--remote-jobs takes a whole number of at least 1, not "${text}"`);
}

function _download(text: string): RemoteDownload {
  if (text === "all" || text === "minimal") return text;
  throw new Error(`--remote-download takes all or minimal, not "${text}"`);
}

function _switch(name: string, value: string | undefined): boolean {
  const v = (value ?? "").trim().toLowerCase();
  if (["", "0", "false", "no", "off"].includes(v)) return false;
  if (["1", "true", "yes", "on"].includes(v)) return true;
  throw new Error(`Cannot read ${name}=${JSON.stringify(value)}: expected 1 or 0`);
}
