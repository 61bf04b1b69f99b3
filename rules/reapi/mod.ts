/**
 * The data model of the Remote Execution API v2 (REAPI), shared by the
 * local and HTTP action caches, the gRPC cache and remote execution.
 *
 * - proto.ts: the protobuf wire format, written canonically (fields in
 *   number order, defaults left out) and read with unknown fields skipped.
 * - messages.ts: `Digest`, `Platform`, `Command`, `Action`.
 * - directory.ts: `Directory` and its nodes, `Tree`.
 * - action_result.ts: `ActionResult`, its outputs, `ExecutedActionMetadata`.
 * - google.ts: `Any`, `Duration`, `Timestamp`, `google.rpc.Status`,
 *   `google.longrunning.Operation`.
 * - cas.ts, action_cache.ts, execution.ts, capabilities.ts: the requests and
 *   responses of the `ContentAddressableStorage`, `ActionCache`, `Execution`
 *   and `Capabilities` services; request_metadata.ts: `RequestMetadata`,
 *   the header every call carries.
 * - bytestream.ts: `google.bytestream` messages and blob resource names.
 * - digest.ts: SHA-256 digests of bytes and of files (read in chunks).
 * - input_root.ts: the Merkle tree of `Directory` messages over a list of
 *   files, as REAPI's canonical form requires.
 * - action.ts: from argv, environment, outputs, platform, inputs and a salt
 *   to the action's digest (the cache key) and the blobs to upload.
 * - signing.ts: Ed25519 signatures of action results, carried inside them,
 *   and key generation and import.
 *
 * Every message has an interface (fields in camelCase) and
 * `encodeX(x): Uint8Array` / `decodeX(bytes): X` functions. Encoders write
 * what they are given in canonical form; putting lists in the order REAPI
 * requires is the job of {@linkcode buildAction} and
 * {@linkcode buildInputRoot}.
 *
 * @example The cache key of a command
 * ```ts
 * import { buildAction, decodeAction, digestKey } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const built = await buildAction({
 *   arguments: ["cc", "-c", "a.c", "-o", "a.o"],
 *   outputPaths: ["a.o"],
 *   inputs: [{ path: "a.c", digest: { hash: "a".repeat(64), sizeBytes: 20 } }],
 * });
 * assert.match(digestKey(built.actionDigest), /^[0-9a-f]{64}\/\d+$/);
 * assert.deepEqual(decodeAction(built.action).inputRootDigest, built.inputRoot.root);
 * ```
 *
 * @module
 */

export { ProtoDecodeError, ProtoReader, ProtoWriter, WireType } from "./proto.ts";
export {
  type Any,
  decodeAny,
  decodeDuration,
  decodeOperation,
  decodeStatus,
  decodeTimestamp,
  type Duration,
  encodeAny,
  encodeDuration,
  encodeOperation,
  encodeStatus,
  encodeTimestamp,
  type Operation,
  type Status,
  type Timestamp,
} from "./google.ts";
export {
  type Action,
  type Command,
  decodeAction,
  decodeCommand,
  decodeDigest,
  decodePlatform,
  type Digest,
  encodeAction,
  encodeCommand,
  encodeDigest,
  encodePlatform,
  type EnvironmentVariable,
  type Platform,
  type PlatformProperty,
  readDigest,
  writeDigest,
} from "./messages.ts";
export {
  decodeDirectory,
  decodeTree,
  type Directory,
  type DirectoryNode,
  encodeDirectory,
  encodeTree,
  type FileNode,
  type SymlinkNode,
  type Tree,
} from "./directory.ts";
export {
  type ActionResult,
  decodeActionResult,
  decodeExecutedActionMetadata,
  encodeActionResult,
  encodeExecutedActionMetadata,
  type ExecutedActionMetadata,
  type OutputDirectory,
  type OutputFile,
  type OutputSymlink,
} from "./action_result.ts";
export {
  type BatchReadBlobsEntry,
  type BatchReadBlobsRequest,
  type BatchReadBlobsResponse,
  type BatchUpdateBlobsEntry,
  type BatchUpdateBlobsOutcome,
  type BatchUpdateBlobsRequest,
  type BatchUpdateBlobsResponse,
  decodeBatchReadBlobsRequest,
  decodeBatchReadBlobsResponse,
  decodeBatchUpdateBlobsRequest,
  decodeBatchUpdateBlobsResponse,
  decodeFindMissingBlobsRequest,
  decodeFindMissingBlobsResponse,
  decodeGetTreeRequest,
  decodeGetTreeResponse,
  encodeBatchReadBlobsRequest,
  encodeBatchReadBlobsResponse,
  encodeBatchUpdateBlobsRequest,
  encodeBatchUpdateBlobsResponse,
  encodeFindMissingBlobsRequest,
  encodeFindMissingBlobsResponse,
  encodeGetTreeRequest,
  encodeGetTreeResponse,
  type FindMissingBlobsRequest,
  type FindMissingBlobsResponse,
  type GetTreeRequest,
  type GetTreeResponse,
} from "./cas.ts";
export {
  decodeGetActionResultRequest,
  decodeUpdateActionResultRequest,
  encodeGetActionResultRequest,
  encodeUpdateActionResultRequest,
  type GetActionResultRequest,
  type ResultsCachePolicy,
  type UpdateActionResultRequest,
} from "./action_cache.ts";
export {
  decodeExecuteOperationMetadata,
  decodeExecuteRequest,
  decodeExecuteResponse,
  decodeWaitExecutionRequest,
  encodeExecuteOperationMetadata,
  encodeExecuteRequest,
  encodeExecuteResponse,
  encodeWaitExecutionRequest,
  EXECUTE_OPERATION_METADATA_TYPE_URL,
  EXECUTE_RESPONSE_TYPE_URL,
  type ExecuteOperationMetadata,
  type ExecuteRequest,
  type ExecuteResponse,
  type ExecutionPolicy,
  ExecutionStage,
  type LogFile,
  type WaitExecutionRequest,
} from "./execution.ts";
export {
  type CacheCapabilities,
  Compressor,
  decodeGetCapabilitiesRequest,
  decodeServerCapabilities,
  DigestFunction,
  encodeGetCapabilitiesRequest,
  encodeServerCapabilities,
  type ExecutionCapabilities,
  type GetCapabilitiesRequest,
  type PriorityCapabilities,
  type PriorityRange,
  type SemVer,
  type ServerCapabilities,
  SymlinkAbsolutePathStrategy,
} from "./capabilities.ts";
export {
  decodeRequestMetadata,
  encodeRequestMetadata,
  REQUEST_METADATA_HEADER,
  type RequestMetadata,
  type ToolDetails,
} from "./request_metadata.ts";
export {
  blobResourceName,
  decodeQueryWriteStatusRequest,
  decodeQueryWriteStatusResponse,
  decodeReadRequest,
  decodeReadResponse,
  decodeWriteRequest,
  decodeWriteResponse,
  encodeQueryWriteStatusRequest,
  encodeQueryWriteStatusResponse,
  encodeReadRequest,
  encodeReadResponse,
  encodeWriteRequest,
  encodeWriteResponse,
  type QueryWriteStatusRequest,
  type QueryWriteStatusResponse,
  type ReadRequest,
  type ReadResponse,
  uploadResourceName,
  type WriteRequest,
  type WriteResponse,
} from "./bytestream.ts";
export {
  checkDigest,
  createDigester,
  DEFAULT_CHUNK_SIZE,
  type Digester,
  digestKey,
  EMPTY_DIGEST,
  fileDigest,
  type FileDigestOptions,
  isValidDigest,
  loadDigests,
  sameDigest,
  sha256Digest,
  sha256DigestSync,
} from "./digest.ts";
export {
  buildInputRoot,
  type InputFile,
  type InputRoot,
  type InputRootOptions,
} from "./input_root.ts";
export { type ActionSpec, buildAction, type BuiltAction } from "./action.ts";
export { buildTree, type BuiltTree, treeEntries, type TreeEntry } from "./output_tree.ts";
export {
  type GeneratedKeyPair,
  generateKeyPair,
  importSigningKey,
  importVerifyingKey,
  signActionResult,
  SIGNATURE_TYPE_URL,
  type SignatureCheck,
  signaturePayload,
  type SigningKey,
  stripSignatures,
  verifyActionResult,
  type VerifyingKey,
} from "./signing.ts";
