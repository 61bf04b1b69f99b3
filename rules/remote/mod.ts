/**
 * The Remote Execution API v2 over gRPC: Capabilities, ContentAddressable
 * Storage, ByteStream, ActionCache and Execution clients for
 * `grpc://HOST:PORT` and `grpcs://HOST:PORT` endpoints (Buildbarn,
 * BuildBuddy, bazel-remote, Buildfarm, BuildGrid, NativeLink...), the
 * cache storage interface over them (`--remote-cache grpc://...`) and the
 * remote executor of commands (`--remote-executor grpc://...`).
 *
 * Importing this module loads no gRPC code: `npm:@grpc/grpc-js` is imported
 * when the first channel opens. Messages are encoded by `rules/reapi`.
 * Headers come from `BARCHAN_REMOTE_HEADERS` (`Name=value,Other=value`);
 * every downloaded blob is checked against its SHA-256 and size.
 *
 * @example Which endpoints load gRPC
 * ```ts
 * import { isGrpcEndpoint, parseEndpoint } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isGrpcEndpoint("grpcs://remote.buildbuddy.io"), true);
 * assert.equal(parseEndpoint("grpcs://remote.buildbuddy.io").port, 443);
 * ```
 *
 * @example Running an action (needs a server)
 * ```ts ignore
 * import { connectRemote } from "./mod.ts";
 *
 * const remote = await connectRemote("grpc://127.0.0.1:8980", { instanceName: "main" });
 * try {
 *   await remote.uploadMissing(blobs); // Action, Command, Directory messages, input files
 *   const { result } = await remote.execution.execute(actionDigest);
 *   await remote.downloadToFile(result.outputFiles[0].digest, "out.txt");
 * } finally {
 *   remote.close();
 * }
 * ```
 *
 * @module
 */

export { connectRemote } from "./remote.ts";
export type { BlobSource, Remote, RemoteOptions } from "./remote.ts";
export { RemoteChannel } from "./channel.ts";
export type { CallOptions, ChannelOptions } from "./channel.ts";
export { isGrpcEndpoint, parseEndpoint } from "./endpoint.ts";
export type { Endpoint } from "./endpoint.ts";
export { parseRemoteHeaders, REMOTE_HEADERS_ENV, remoteHeadersFromEnv } from "./headers.ts";
export { GRPC_CODE_NAMES, GrpcCode, RemoteError } from "./errors.ts";
export type { RemoteErrorInit } from "./errors.ts";
export { GET_CAPABILITIES, getCapabilities, summarizeCapabilities } from "./capabilities.ts";
export type { RemoteCapabilities } from "./capabilities.ts";
export { CasClient } from "./cas.ts";
export type { Blob, CasClientOptions } from "./cas.ts";
export { ByteStreamClient } from "./bytestream.ts";
export type { ByteStreamClientOptions } from "./bytestream.ts";
export { ActionCacheClient } from "./action_cache.ts";
export type { ActionCacheClientOptions } from "./action_cache.ts";
export { EXECUTION_STAGES, ExecutionClient } from "./execution.ts";
export type { ExecuteOptions, ExecuteResult, ExecutionClientOptions } from "./execution.ts";
export { GrpcCache } from "./grpc_cache.ts";
export type { GrpcCacheOptions, GrpcRestoreOptions } from "./grpc_cache.ts";
export { GrpcExecutor } from "./executor.ts";
export type { GrpcExecutorOptions } from "./executor.ts";
