/**
 * Remote execution over gRPC (`--remote-executor grpc://...`): the
 * {@linkcode CommandExecutor} on the Execution, ContentAddressableStorage and
 * ByteStream services of the Remote Execution API (Buildbarn, BuildBuddy,
 * Buildfarm, BuildGrid, NativeLink...).
 *
 * For each command:
 * 1. the `Action`, the `Command`, the input root's `Directory` messages and
 *    the input files go to the CAS, those not known to be there: blobs of a
 *    few KiB in one batch at once (asking first would cost as much as
 *    sending: the messages are new for every command), the others after
 *    `FindMissingBlobs`, in batches or through ByteStream, files read as
 *    they are sent;
 * 2. `Execute` with the action's digest, letting the server answer from its
 *    action cache (`skip_cache_lookup` false) and cache what it runs (the
 *    action's `do_not_cache` is false); the operation is followed to its end,
 *    with `WaitExecution` after a dropped stream; a server that lost an input
 *    meanwhile (`FAILED_PRECONDITION`) gets the blobs again, once;
 * 3. the output files, stdout and stderr are downloaded (the small ones in
 *    one batch), checked against their SHA-256 and size; each file is
 *    written beside its local path, given its executable bit and renamed
 *    into place. Outputs the request leaves in the CAS (`--remote-download
 *    minimal`) are not downloaded, once `FindMissingBlobs` says the CAS holds
 *    them (a result from the action cache whose outputs it lost runs again,
 *    with `skip_cache_lookup`); inputs known only in the CAS are checked
 *    there, not sent, and a CAS that lost one is a {@linkcode LostBlobError}.
 *    An output directory is always downloaded: its `Tree` (its
 *    `tree_digest`, which REAPI requires the server to hold) first; the
 *    directory is then written afresh: emptied, its subdirectories and
 *    symbolic links made, its files downloaded as output files are.
 *
 * A command that exits non-zero is an outcome like any other. The failure of
 * the server (unreachable, refusing, no execution service, a blob it serves
 * damaged or not at all) is an {@linkcode ExecutorError}, and whatever this
 * execution wrote is removed first (an output directory left empty, as
 * before the command). Nothing of gRPC is loaded before the
 * first command.
 *
 * @module
 */

import { CancelledError } from "../../fiber/mod.ts";
import {
  type CommandExecutor,
  type ExecuteOutcome,
  type ExecuteRequest,
  ExecutorError,
  type LeftOutput,
  LostBlobError,
} from "../command/command_executor.ts";
import type { OutputFile } from "../reapi/action_result.ts";
import { decodeTree } from "../reapi/directory.ts";
import { treeEntries, type TreeEntry } from "../reapi/output_tree.ts";
import { type Digest, digestKey, sameDigest, sha256Digest } from "../reapi/digest.ts";
import { parseEndpoint } from "./endpoint.ts";
import { GrpcCode, RemoteError } from "./errors.ts";
import { type BlobSource, connectRemote, type Remote, type RemoteOptions } from "./remote.ts";
import { mapBounded } from "./_bounded.ts";
import { parentDir, tempBeside } from "./_files.ts";

/**
 * Options of {@linkcode GrpcExecutor}: the connection's.
 *
 * @example An instance with a private CA
 * ```ts
 * import type { GrpcExecutorOptions } from "./executor.ts";
 * import assert from "node:assert/strict";
 *
 * const options: GrpcExecutorOptions = { instanceName: "linux", caFile: "/etc/ca.pem" };
 * assert.equal(options.instanceName, "linux");
 * ```
 */
export type GrpcExecutorOptions = RemoteOptions;

/**
 * A remote executor over the Remote Execution API. Connects on the first
 * command (asking Capabilities, which must offer execution);
 * {@linkcode GrpcExecutor.close} it when done.
 *
 * @example A server that is not there fails the command with an ExecutorError
 * ```ts
 * import { GrpcExecutor } from "./executor.ts";
 * import { ExecutorError } from "../command/command_executor.ts";
 * import { keyCommand } from "../command/command_key.ts";
 * import assert from "node:assert/strict";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const port = listener.addr.port;
 * listener.close();
 * const executor = new GrpcExecutor(`grpc://127.0.0.1:${port}`, { retries: 0 });
 * const spec = { program: "true", args: [], env: {}, cwd: "", outputs: [] };
 * const key = await keyCommand(spec, [], { ambient: {} });
 * await assert.rejects(
 *   executor.execute({ key, inputs: [], outputs: new Map() }),
 *   (error) => error instanceof ExecutorError && /UNAVAILABLE/.test(error.message),
 * );
 * executor.close();
 * ```
 */
export class GrpcExecutor implements CommandExecutor {
  /** The endpoint and instance, for messages. */
  readonly name: string;
  #endpoint: string;
  #options: GrpcExecutorOptions;
  #remote: Promise<Remote> | undefined;
  /** Blobs the server was found to hold, or was sent, during this executor's life. */
  #present = new Set<string>();

  /**
   * Makes the executor; nothing connects before the first command.
   *
   * @param endpoint `grpc://HOST:PORT` or `grpcs://HOST:PORT`.
   * @param options Instance, headers, TLS roots, deadlines, retries.
   * @throws {TypeError} If the endpoint is not a grpc:// or grpcs:// URL.
   */
  constructor(endpoint: string, options: GrpcExecutorOptions = {}) {
    parseEndpoint(endpoint);
    this.#endpoint = endpoint;
    this.#options = options;
    this.name = options.instanceName ? `${endpoint} (instance ${options.instanceName})` : endpoint;
  }

  /**
   * Runs a command remotely (see the module doc).
   *
   * @param request The command, its inputs and where its outputs go.
   * @returns What it did; a non-zero exit code is an outcome.
   * @throws {ExecutorError} When the server fails.
   * @throws {CancelledError} When the request's signal aborts.
   */
  async execute(request: ExecuteRequest): Promise<ExecuteOutcome> {
    const written: string[] = [];
    const trees: string[] = [];
    try {
      return await this.#execute(request, written, trees);
    } catch (error) {
      await Promise.all(written.map((path) => Deno.remove(path).catch(() => {})));
      for (const path of trees) await _emptyDirectory(path);
      const signal = request.signal;
      if (signal?.aborted) throw new CancelledError(signal.reason);
      if (error instanceof RemoteError) {
        throw new ExecutorError(`Remote execution on ${this.name} failed: ${error.message}`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /** Closes the connection; commands in flight fail. */
  close(): void {
    const remote = this.#remote;
    this.#remote = undefined;
    remote?.then((r) => r.close(), () => {});
  }

  async #execute(
    request: ExecuteRequest,
    written: string[],
    trees: string[],
  ): Promise<ExecuteOutcome> {
    const remote = await this.#connect();
    const blobs = _blobsOf(request);
    await this.#upload(remote, blobs, false);
    await this.#checkLeft(remote, request, false);
    const digest = request.key.actionDigest;
    const execute = async (skipCacheLookup: boolean) => {
      try {
        return await remote.execution.execute(digest, { signal: request.signal, skipCacheLookup });
      } catch (error) {
        if (!(error instanceof RemoteError) || error.code !== GrpcCode.FAILED_PRECONDITION) {
          throw error;
        }
        // An input the server held was evicted meanwhile: send what it lacks now.
        await this.#upload(remote, blobs, true);
        await this.#checkLeft(remote, request, true);
        return await remote.execution.execute(digest, { signal: request.signal, skipCacheLookup });
      }
    };
    let outcome = await execute(false);
    let left = await this.#leftOutputs(remote, request, outcome.result);
    if (left === undefined && outcome.cachedResult) {
      // Its action cache named outputs its CAS lost: run it afresh.
      outcome = await execute(true);
      left = await this.#leftOutputs(remote, request, outcome.result);
    }
    if (left === undefined) {
      throw new ExecutorError(
        `Remote execution on ${this.name} gave a result whose outputs its CAS does not hold: ` +
          "the result was not used",
      );
    }
    const { result, cachedResult } = outcome;
    const leave = request.leave;
    const files = this.#declared(request, result).filter(({ path }) => !leave?.has(path));
    const directories = [];
    for (const dir of result.outputDirectories) {
      const path = request.outputs.get(dir.path);
      if (path === undefined) {
        throw new ExecutorError(
          `Remote execution on ${this.name} returned output directory "${dir.path}", which the ` +
            `command does not declare: the result was not used`,
        );
      }
      const bytes = await remote.download(dir.treeDigest);
      if (bytes === undefined) throw this.#missing(`tree of "${dir.path}"`, dir.treeDigest);
      let entries: TreeEntry[];
      try {
        entries = await treeEntries(decodeTree(bytes));
      } catch (error) {
        throw new ExecutorError(
          `Remote execution on ${this.name} gave output directory "${dir.path}" a tree that ` +
            `cannot be read (${(error as Error).message}): the result was not used`,
        );
      }
      directories.push({ dir, path, entries });
    }
    const treeFiles = directories.flatMap(({ dir, path, entries }) =>
      entries.flatMap((entry) =>
        entry.kind === "file"
          ? [{
            file: {
              path: `${dir.path}/${entry.path}`,
              digest: entry.digest,
              isExecutable: entry.isExecutable,
            },
            path: `${path}/${entry.path}`,
          }]
          : []
      )
    );
    // The small blobs of the result in one batch; the others one by one.
    const wanted = [
      ...treeFiles.map(({ file }) => file.digest),
      ...files.filter(({ file }) => !_inline(file)).map(({ file }) => file.digest),
      ...[result.stdoutDigest, result.stderrDigest].filter((d) => d !== undefined),
    ].filter((d) => d.sizeBytes > 0 && remote.cas.fitsInBatch(d.sizeBytes));
    const fetched = await remote.cas.batchRead(wanted);
    for (const { file, path } of files) {
      await this.#download(remote, file, path, fetched);
      written.push(path);
    }
    for (const { path, entries } of directories) {
      trees.push(path);
      await Deno.remove(path, { recursive: true }).catch(() => {});
      await Deno.mkdir(path, { recursive: true });
      for (const entry of entries) {
        const at = `${path}/${entry.path}`;
        if (entry.kind === "directory") await Deno.mkdir(at, { recursive: true });
        else if (entry.kind === "symlink") await Deno.symlink(entry.target, at);
      }
    }
    for (const { file, path } of treeFiles) await this.#download(remote, file, path, fetched);
    written.push(...trees);
    const [stdout, stderr] = await Promise.all([
      this.#printed(remote, result.stdoutRaw, result.stdoutDigest, "stdout", fetched),
      this.#printed(remote, result.stderrRaw, result.stderrDigest, "stderr", fetched),
    ]);
    return {
      exitCode: result.exitCode,
      stdout,
      stderr,
      written,
      left,
      cached: cachedResult,
      worker: result.executionMetadata?.worker || undefined,
    };
  }

  /** The result's output files with their local paths; refuses one the command does not declare. */
  #declared(
    request: ExecuteRequest,
    result: { outputFiles: readonly OutputFile[] },
  ): { file: OutputFile; path: string }[] {
    return result.outputFiles.map((file) => {
      const path = request.outputs.get(file.path);
      if (path === undefined) {
        throw new ExecutorError(
          `Remote execution on ${this.name} returned output "${file.path}", which the command ` +
            `does not declare: the result was not used`,
        );
      }
      return { file, path };
    });
  }

  /**
   * The outputs of a result to leave in the CAS, once it is known to hold
   * them (they are downloaded later, or never); undefined when it does not.
   */
  async #leftOutputs(
    remote: Remote,
    request: ExecuteRequest,
    result: { outputFiles: readonly OutputFile[]; exitCode: number },
  ): Promise<LeftOutput[] | undefined> {
    const leave = request.leave;
    if (leave === undefined || leave.size === 0 || result.exitCode !== 0) return [];
    const left = this.#declared(request, result)
      .filter(({ path }) => leave.has(path))
      .map(({ file, path }) => ({ path, digest: file.digest, executable: file.isExecutable }));
    const missing = await remote.cas.findMissing(
      left.map((l) => l.digest).filter((d) => d.sizeBytes > 0),
    );
    if (missing.length > 0) return undefined;
    for (const l of left) this.#present.add(digestKey(l.digest));
    return left;
  }

  /**
   * Checks that the CAS holds the inputs known only there (not known to,
   * or when `again`, all of them).
   * @throws {LostBlobError} When it lacks some.
   */
  async #checkLeft(remote: Remote, request: ExecuteRequest, again: boolean): Promise<void> {
    const inputs = request.inputs.filter((i) =>
      i.remote && i.digest.sizeBytes > 0 && (again || !this.#present.has(digestKey(i.digest)))
    );
    if (inputs.length === 0) return;
    const missing = new Set(
      (await remote.cas.findMissing(inputs.map((i) => i.digest))).map(digestKey),
    );
    const lost = inputs.filter((i) => missing.has(digestKey(i.digest)));
    if (lost.length > 0) throw new LostBlobError(lost.map((i) => i.path), this.name);
    for (const i of inputs) this.#present.add(digestKey(i.digest));
  }

  /**
   * Which of these blobs the CAS lacks (those known to be there are not asked for).
   *
   * @param digests The blobs.
   * @returns Those it lacks.
   * @throws {ExecutorError} When the server fails.
   */
  async findMissing(digests: readonly Digest[]): Promise<Digest[]> {
    const asked = digests.filter((d) => d.sizeBytes > 0 && !this.#present.has(digestKey(d)));
    if (asked.length === 0) return [];
    try {
      const remote = await this.#connect();
      const missing = await remote.cas.findMissing(asked);
      const lacking = new Set(missing.map(digestKey));
      for (const d of asked) if (!lacking.has(digestKey(d))) this.#present.add(digestKey(d));
      return missing;
    } catch (error) {
      if (error instanceof RemoteError) {
        throw new ExecutorError(`Remote execution on ${this.name} failed: ${error.message}`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * Downloads a blob of the CAS to a local path (see `CommandExecutor#fetch`).
   *
   * @param digest The blob.
   * @param path Where it goes.
   * @param executable Its executable bit.
   * @throws {LostBlobError} When the CAS does not hold it.
   * @throws {ExecutorError} When the server fails.
   */
  async fetch(digest: Digest, path: string, executable: boolean): Promise<void> {
    try {
      const remote = await this.#connect();
      if (digest.sizeBytes > 0 && (await remote.cas.findMissing([digest])).length > 0) {
        throw new LostBlobError([path], this.name);
      }
      const fetched = digest.sizeBytes > 0 && remote.cas.fitsInBatch(digest.sizeBytes)
        ? await remote.cas.batchRead([digest])
        : new Map<string, Uint8Array>();
      await this.#download(remote, { path, digest, isExecutable: executable }, path, fetched);
    } catch (error) {
      if (error instanceof RemoteError) {
        throw new ExecutorError(`Cannot fetch ${path} from ${this.name}: ${error.message}`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  #connect(): Promise<Remote> {
    return this.#remote ??= (async () => {
      let remote: Remote;
      try {
        remote = await connectRemote(this.#endpoint, this.#options);
      } catch (error) {
        if (error instanceof RemoteError) throw error;
        // A channel that cannot be made: a CA file that cannot be read, TLS to an address.
        throw new ExecutorError(
          `Cannot connect to the remote executor ${this.name}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      if (!remote.capabilities.execEnabled) {
        remote.close();
        throw new ExecutorError(
          `${this.name} does not offer remote execution (its capabilities say so): ` +
            "use it as --remote-cache, or check the endpoint and the instance name",
        );
      }
      return remote;
    })();
  }

  /**
   * Sends the blobs not known to be on the server: small ones at once,
   * others if it lacks them; when `again`, every blob it lacks.
   */
  async #upload(remote: Remote, blobs: readonly BlobSource[], again: boolean): Promise<void> {
    const unknown = again ? blobs : blobs.filter((b) => !this.#present.has(digestKey(b.digest)));
    const small = again ? [] : unknown.filter((b) => b.digest.sizeBytes <= _SEND_UNASKED_BYTES);
    const asked = again ? unknown : unknown.filter((b) => b.digest.sizeBytes > _SEND_UNASKED_BYTES);
    if (small.length > 0) {
      await remote.cas.batchUpdate(
        await mapBounded(small, 16, async (blob) => ({
          digest: blob.digest,
          data: "data" in blob ? blob.data : await Deno.readFile(blob.path),
        })),
      );
    }
    if (asked.length > 0) await remote.uploadMissing(asked);
    for (const blob of unknown) this.#present.add(digestKey(blob.digest));
  }

  /** Writes an output file beside `path`, checked, then renames it into place. */
  async #download(
    remote: Remote,
    file: OutputFile,
    path: string,
    fetched: ReadonlyMap<string, Uint8Array>,
  ): Promise<void> {
    const mode = file.isExecutable ? 0o755 : 0o644;
    const inline = _inline(file);
    if (inline && !sameDigest(await sha256Digest(file.contents!), file.digest)) {
      throw new ExecutorError(
        `Remote execution on ${this.name} sent output "${file.path}" inline with content that ` +
          `does not match its digest ${digestKey(file.digest)}: the result was not used`,
      );
    }
    const temp = tempBeside(path);
    try {
      const data = inline
        ? file.contents!
        : file.digest.sizeBytes === 0
        ? new Uint8Array()
        : fetched.get(digestKey(file.digest));
      if (data !== undefined) await _writeNew(temp, data, mode);
      else if (remote.cas.fitsInBatch(file.digest.sizeBytes)) {
        // Asked for in the batch, and not there.
        throw this.#missing(file.path, file.digest);
      } else if (!await remote.downloadToFile(file.digest, temp)) {
        throw this.#missing(file.path, file.digest);
      } else await Deno.chmod(temp, mode);
      await Deno.rename(temp, path);
    } catch (error) {
      await Deno.remove(temp).catch(() => {});
      throw error;
    }
  }

  async #printed(
    remote: Remote,
    raw: Uint8Array | undefined,
    digest: Digest | undefined,
    what: string,
    fetched: ReadonlyMap<string, Uint8Array>,
  ): Promise<Uint8Array> {
    if (raw !== undefined && raw.length > 0) return raw;
    if (digest === undefined || digest.sizeBytes === 0) return new Uint8Array();
    const bytes = fetched.get(digestKey(digest)) ??
      (remote.cas.fitsInBatch(digest.sizeBytes) ? undefined : await remote.download(digest));
    if (bytes === undefined) throw this.#missing(what, digest);
    return bytes;
  }

  #missing(what: string, digest: Digest): ExecutorError {
    return new ExecutorError(
      `Remote execution on ${this.name} gave a result whose ${what} (blob ${
        digestKey(digest)
      }) the server does not hold: the result was not used`,
    );
  }
}

/** Empties a directory the execution wrote into, as it was before (created, empty). */
async function _emptyDirectory(path: string): Promise<void> {
  await Deno.remove(path, { recursive: true }).catch(() => {});
  await Deno.mkdir(path, { recursive: true }).catch(() => {});
}

/** Blobs up to this size are sent without asking whether the server holds them. */
const _SEND_UNASKED_BYTES = 16 * 1024;

/** Writes a new file with its mode (kept whatever the umask), creating its directory if need be. */
async function _writeNew(path: string, data: Uint8Array, mode: number): Promise<void> {
  try {
    await Deno.writeFile(path, data, { mode, createNew: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    await Deno.mkdir(parentDir(path), { recursive: true });
    await Deno.writeFile(path, data, { mode, createNew: true });
  }
  if (mode & 0o111) await Deno.chmod(path, mode);
}

/** Whether an output file's content came in the result. */
function _inline(file: OutputFile): boolean {
  return file.contents !== undefined && file.contents.length > 0;
}

/** The blobs a command needs in the CAS, each once: its messages, then its input files. */
function _blobsOf(request: ExecuteRequest): BlobSource[] {
  const blobs = new Map<string, BlobSource>();
  for (const [hash, data] of request.key.blobs) {
    const digest = { hash, sizeBytes: data.byteLength };
    blobs.set(digestKey(digest), { digest, data });
  }
  for (const input of request.inputs) {
    // Known only in the CAS: checked there (#checkLeft), not sent.
    if (input.remote) continue;
    const key = digestKey(input.digest);
    if (!blobs.has(key)) blobs.set(key, { digest: input.digest, path: input.path });
  }
  return [...blobs.values()];
}
