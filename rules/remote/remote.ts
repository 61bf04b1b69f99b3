/**
 * One connection to a Remote Execution API endpoint: its capabilities,
 * asked first, and a client per service, plus uploads and downloads that
 * pick batches or ByteStream by size.
 *
 * @module
 */

import { ActionCacheClient } from "./action_cache.ts";
import { ByteStreamClient } from "./bytestream.ts";
import { getCapabilities, type RemoteCapabilities } from "./capabilities.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { encodeRequestMetadata, REQUEST_METADATA_HEADER } from "../reapi/request_metadata.ts";
import { type ChannelOptions, RemoteChannel } from "./channel.ts";
import { type Blob, CasClient } from "./cas.ts";
import { GrpcCode, RemoteError } from "./errors.ts";
import { ExecutionClient } from "./execution.ts";
import type { Digest } from "../reapi/messages.ts";
import { mapBounded } from "./_bounded.ts";
import { writeFileWhole } from "./_files.ts";

/**
 * Options of {@linkcode connectRemote}.
 *
 * @example An instance behind TLS with a private CA
 * ```ts
 * import type { RemoteOptions } from "./remote.ts";
 * import assert from "node:assert/strict";
 *
 * const options: RemoteOptions = { instanceName: "main", caFile: "/etc/barchan/ca.pem" };
 * assert.equal(options.connectDeadlineMs, undefined);
 * ```
 */
export interface RemoteOptions extends ChannelOptions {
  /** The instance name (`--remote-instance`). @default "" */
  instanceName?: string;
  /**
   * Sent in every call's `RequestMetadata`, so the server can group the
   * calls of one build.
   * @default a fresh UUID per connection
   */
  toolInvocationId?: string;
  /**
   * Deadline of the first call (Capabilities), which also makes the
   * connection: a server that does not answer by then is taken as down.
   * @default 10_000
   */
  connectDeadlineMs?: number;
  /**
   * How many batch or stream transfers run at once.
   * @default 4
   */
  concurrency?: number;
}

/**
 * A blob to upload: its content, or a file holding it.
 *
 * @example Bytes or a file
 * ```ts
 * import type { BlobSource } from "./remote.ts";
 * import assert from "node:assert/strict";
 *
 * const digest = { hash: "ab".repeat(32), sizeBytes: 3 };
 * const sources: BlobSource[] = [
 *   { digest, data: new Uint8Array(3) },
 *   { digest, path: "out/tool" },
 * ];
 * assert.equal(sources.filter((s) => "path" in s).length, 1);
 * ```
 */
export type BlobSource = { digest: Digest; data: Uint8Array } | { digest: Digest; path: string };

/**
 * An open connection to a remote: the capabilities and the service clients.
 * {@linkcode Remote.close} it when done.
 *
 * @example What a connection offers (needs a server)
 * ```ts ignore
 * import { connectRemote } from "./remote.ts";
 *
 * const remote = await connectRemote("grpc://127.0.0.1:8980");
 * console.log(remote.capabilities.execEnabled, remote.capabilities.maxBatchTotalSizeBytes);
 * remote.close();
 * ```
 *
 * @example A connection that fails names the endpoint
 * ```ts
 * import { connectRemote, type Remote } from "./remote.ts";
 * import assert from "node:assert/strict";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * listener.close();
 * const remote: Remote | Error = await connectRemote(
 *   `grpc://127.0.0.1:${listener.addr.port}`,
 *   { retries: 0 },
 * ).catch((error) => error);
 * assert.ok(remote instanceof Error);
 * ```
 */
export interface Remote {
  /** The instance name. */
  readonly instanceName: string;
  /** The channel, shared by the clients. */
  readonly channel: RemoteChannel;
  /** What the server offers. */
  readonly capabilities: RemoteCapabilities;
  /** ContentAddressableStorage. */
  readonly cas: CasClient;
  /** ByteStream. */
  readonly byteStream: ByteStreamClient;
  /** ActionCache. */
  readonly actionCache: ActionCacheClient;
  /** Execution (`capabilities.execEnabled` says whether the server offers it). */
  readonly execution: ExecutionClient;
  /**
   * Uploads the blobs the server lacks: small ones in batches, large ones
   * through ByteStream, files streamed.
   *
   * @param blobs What to upload.
   * @returns The digests uploaded.
   */
  uploadMissing(blobs: readonly BlobSource[]): Promise<Digest[]>;
  /**
   * Downloads a blob to a file, checked against its digest.
   *
   * @param digest The blob.
   * @param path Where to write it (parents created).
   * @returns `false` when the server does not hold the blob.
   */
  downloadToFile(digest: Digest, path: string): Promise<boolean>;
  /**
   * Downloads a blob into memory, checked against its digest.
   *
   * @param digest The blob.
   * @returns The content, or `undefined` when the server does not hold it.
   */
  download(digest: Digest): Promise<Uint8Array | undefined>;
  /** Closes the channel. */
  close(): void;
}

/**
 * Connects to a REAPI endpoint: loads the gRPC library, opens a channel
 * and asks for the server's capabilities, which set the batch limit.
 *
 * @param endpoint `grpc://HOST:PORT` or `grpcs://HOST:PORT`.
 * @param options Instance name, headers, TLS roots, deadline, retries.
 * @returns The connection.
 * @throws {RemoteError} When Capabilities fails (an unreachable server
 * fails after the retries, within a second or so).
 * @throws {RemoteError} FAILED_PRECONDITION when the server does not hash
 * with SHA-256.
 *
 * @example An unreachable endpoint fails fast, naming it
 * ```ts
 * import { connectRemote } from "./remote.ts";
 * import assert from "node:assert/strict";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const port = listener.addr.port;
 * listener.close();
 * await assert.rejects(
 *   connectRemote(`grpc://127.0.0.1:${port}`, { retries: 1 }),
 *   new RegExp(`Capabilities.GetCapabilities on grpc://127.0.0.1:${port} failed with UNAVAILABLE`),
 * );
 * ```
 */
export async function connectRemote(
  endpoint: string,
  options: RemoteOptions = {},
): Promise<Remote> {
  const channel = await RemoteChannel.open(endpoint, options);
  channel.setHeader(
    REQUEST_METADATA_HEADER,
    encodeRequestMetadata({
      toolDetails: { toolName: "barchan", toolVersion: denoJson.version },
      toolInvocationId: options.toolInvocationId ?? crypto.randomUUID(),
    }),
  );
  try {
    const instanceName = options.instanceName ?? "";
    const capabilities = await getCapabilities(channel, instanceName, {
      deadlineMs: Date.now() + (options.connectDeadlineMs ?? 10_000),
    });
    if (!capabilities.sha256) {
      throw new RemoteError({
        code: GrpcCode.FAILED_PRECONDITION,
        method: "Capabilities.GetCapabilities",
        endpoint: channel.endpoint.url,
        details: "the server's cache does not hash with SHA-256, the only digest function " +
          "barchan uses",
      });
    }
    return new _Remote(channel, instanceName, capabilities, options.concurrency ?? 4);
  } catch (error) {
    channel.close();
    throw error;
  }
}

class _Remote implements Remote {
  readonly instanceName: string;
  readonly channel: RemoteChannel;
  readonly capabilities: RemoteCapabilities;
  readonly cas: CasClient;
  readonly byteStream: ByteStreamClient;
  readonly actionCache: ActionCacheClient;
  readonly execution: ExecutionClient;
  #concurrency: number;

  constructor(
    channel: RemoteChannel,
    instanceName: string,
    capabilities: RemoteCapabilities,
    concurrency: number,
  ) {
    this.channel = channel;
    this.instanceName = instanceName;
    this.capabilities = capabilities;
    this.#concurrency = concurrency;
    this.cas = new CasClient(channel, {
      instanceName,
      maxBatchTotalSizeBytes: capabilities.maxBatchTotalSizeBytes,
      concurrency,
    });
    this.byteStream = new ByteStreamClient(channel, { instanceName });
    this.actionCache = new ActionCacheClient(channel, { instanceName });
    this.execution = new ExecutionClient(channel, { instanceName });
  }

  async uploadMissing(blobs: readonly BlobSource[]): Promise<Digest[]> {
    const missing = new Set(
      (await this.cas.findMissing(blobs.map((blob) => blob.digest))).map(_key),
    );
    const small: BlobSource[] = [];
    const large: BlobSource[] = [];
    for (const blob of blobs) {
      if (!missing.delete(_key(blob.digest))) continue;
      (this.cas.fitsInBatch(blob.digest.sizeBytes) ? small : large).push(blob);
    }
    // Small files are read a group at a time, so memory stays bounded.
    for (const group of _groups(small, _GROUP_BYTES)) {
      const loaded: Blob[] = await mapBounded(group, 16, async (blob) => ({
        digest: blob.digest,
        data: "data" in blob ? blob.data : await Deno.readFile(blob.path),
      }));
      await this.cas.batchUpdate(loaded);
    }
    await mapBounded(
      large,
      this.#concurrency,
      (blob) =>
        "data" in blob
          ? this.byteStream.write(blob.digest, blob.data)
          : this.byteStream.writeFromFile(blob.digest, blob.path),
    );
    return [...small, ...large].map((blob) => blob.digest);
  }

  async downloadToFile(digest: Digest, path: string): Promise<boolean> {
    if (!this.cas.fitsInBatch(digest.sizeBytes)) {
      return await this.byteStream.readToFile(digest, path);
    }
    const data = (await this.cas.batchRead([digest])).get(_key(digest));
    if (data === undefined) return false;
    await writeFileWhole(path, data);
    return true;
  }

  async download(digest: Digest): Promise<Uint8Array | undefined> {
    if (!this.cas.fitsInBatch(digest.sizeBytes)) return await this.byteStream.read(digest);
    return (await this.cas.batchRead([digest])).get(_key(digest));
  }

  close(): void {
    this.channel.close();
  }
}

const _GROUP_BYTES = 16 * 1024 * 1024;

function _groups(blobs: BlobSource[], bytes: number): BlobSource[][] {
  const groups: BlobSource[][] = [];
  let used = Infinity;
  for (const blob of blobs) {
    if (used + blob.digest.sizeBytes > bytes) {
      groups.push([]);
      used = 0;
    }
    groups[groups.length - 1].push(blob);
    used += blob.digest.sizeBytes;
  }
  return groups;
}

function _key(digest: Digest): string {
  return `${digest.hash}/${digest.sizeBytes}`;
}
