/**
 * One or more values of every message rules/reapi encodes, each with its
 * encoder and decoder, every field set somewhere. `_reapi_py.py samples`
 * builds the same values with protobuf's Python modules, under the same
 * names: keep the two in step.
 */

import * as reapi from "../../../rules/reapi/mod.ts";

/** A message value with its codec. */
export interface Sample {
  name: string;
  value: unknown;
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

function sample<T>(
  name: string,
  value: T,
  encode: (value: T) => Uint8Array,
  decode: (bytes: Uint8Array) => T,
): Sample {
  return {
    name,
    value,
    encode: encode as (value: unknown) => Uint8Array,
    decode,
  };
}

const utf8 = (s: string) => new TextEncoder().encode(s);

const H1 = "1".repeat(64);
const H2 = "2b".repeat(32);
const H3 = "c0ffee".repeat(10) + "abcd";
const D1: reapi.Digest = { hash: H1, sizeBytes: 142 };
const D2: reapi.Digest = { hash: H2, sizeBytes: 2.5 * 2 ** 30 };
const D3: reapi.Digest = { hash: H3, sizeBytes: 2 ** 53 - 1 };
const EMPTY: reapi.Digest = { hash: "", sizeBytes: 0 };

const ANY: reapi.Any = {
  typeUrl: "type.googleapis.com/build.bazel.remote.execution.v2.Digest",
  value: new Uint8Array([0x0a, 0x02, 0x61, 0x62, 0x10, 0x03]),
};
const ANY_EMPTY: reapi.Any = { typeUrl: "type.googleapis.com/x.Empty", value: new Uint8Array() };

const STATUS: reapi.Status = {
  code: 5,
  message: "Blob not found: é ☃ 😀",
  details: [ANY, ANY_EMPTY],
};

const PLATFORM: reapi.Platform = {
  properties: [
    { name: "ISA", value: "x86-64" },
    { name: "OSFamily", value: "linux" },
    { name: "container-image", value: "" },
  ],
};

const METADATA: reapi.ExecutedActionMetadata = {
  worker: "worker-7",
  queuedTimestamp: { seconds: 1_735_689_600, nanos: 1 },
  workerStartTimestamp: { seconds: 1_735_689_601, nanos: 0 },
  workerCompletedTimestamp: { seconds: 1_735_689_609, nanos: 999_999_999 },
  inputFetchStartTimestamp: { seconds: 0, nanos: 0 },
  inputFetchCompletedTimestamp: { seconds: 1_735_689_602, nanos: 5 },
  executionStartTimestamp: { seconds: 1_735_689_603, nanos: 6 },
  executionCompletedTimestamp: { seconds: 253_402_300_799, nanos: 7 },
  virtualExecutionDuration: { seconds: 4, nanos: 500_000_000 },
  outputUploadStartTimestamp: { seconds: 1_735_689_608, nanos: 8 },
  outputUploadCompletedTimestamp: { seconds: 1_735_689_609, nanos: 9 },
  auxiliaryMetadata: [ANY, ANY_EMPTY],
};

const RESULT: reapi.ActionResult = {
  outputFiles: [
    { path: "out/a.o", digest: D1, isExecutable: false },
    { path: "bin/tool", digest: D2, isExecutable: true, contents: utf8("#!/bin/sh\n") },
    { path: "empty", digest: EMPTY, isExecutable: false },
  ],
  outputDirectories: [
    { path: "dist", treeDigest: D1 },
    { path: "gen", treeDigest: D2, isTopologicallySorted: true, rootDirectoryDigest: D3 },
  ],
  exitCode: 137,
  outputSymlinks: [{ path: "lib/libz.so", target: "libz.so.1" }],
  outputFileSymlinks: [{ path: "f", target: "/abs/f" }],
  outputDirectorySymlinks: [{ path: "d", target: "../d" }],
  stdoutRaw: utf8("compiled\n"),
  stdoutDigest: D1,
  stderrRaw: new Uint8Array([0, 255, 10]),
  stderrDigest: D3,
  executionMetadata: METADATA,
};

const DIRECTORY: reapi.Directory = {
  files: [
    { name: "a.c", digest: D1, isExecutable: false },
    { name: "configure", digest: D2, isExecutable: true },
    { name: "empty", digest: { hash: H3, sizeBytes: 0 }, isExecutable: false },
  ],
  directories: [{ name: "include", digest: D3 }, { name: "src", digest: EMPTY }],
  symlinks: [{ name: "latest", target: "src" }, { name: "ünï", target: "/abs/😀" }],
};

const EMPTY_DIRECTORY: reapi.Directory = { files: [], directories: [], symlinks: [] };

/** Every sample, by name. */
export const SAMPLES: Sample[] = [
  // google.protobuf, google.rpc, google.longrunning
  sample("any", ANY, reapi.encodeAny, reapi.decodeAny),
  sample("any_empty", ANY_EMPTY, reapi.encodeAny, reapi.decodeAny),
  sample(
    "duration",
    { seconds: 3600, nanos: 500_000_000 },
    reapi.encodeDuration,
    reapi.decodeDuration,
  ),
  sample(
    "duration_negative",
    { seconds: -5, nanos: -250_000_000 },
    reapi.encodeDuration,
    reapi.decodeDuration,
  ),
  sample(
    "timestamp",
    { seconds: 253_402_300_799, nanos: 123_456_789 },
    reapi.encodeTimestamp,
    reapi.decodeTimestamp,
  ),
  sample("status", STATUS, reapi.encodeStatus, reapi.decodeStatus),
  sample("status_ok", { code: 0 }, reapi.encodeStatus, reapi.decodeStatus),
  sample(
    "operation_running",
    {
      name: "operations/0f3a",
      metadata: {
        typeUrl: reapi.EXECUTE_OPERATION_METADATA_TYPE_URL,
        value: reapi.encodeExecuteOperationMetadata({ stage: 3, actionDigest: D1 }),
      },
      done: false,
    },
    reapi.encodeOperation,
    reapi.decodeOperation,
  ),
  sample(
    "operation_error",
    { name: "op", done: true, error: STATUS },
    reapi.encodeOperation,
    reapi.decodeOperation,
  ),
  sample(
    "operation_response",
    {
      name: "op",
      metadata: ANY_EMPTY,
      done: true,
      response: {
        typeUrl: reapi.EXECUTE_RESPONSE_TYPE_URL,
        value: reapi.encodeExecuteResponse({ result: RESULT, cachedResult: true }),
      },
    },
    reapi.encodeOperation,
    reapi.decodeOperation,
  ),

  // The data model
  sample("digest", D2, reapi.encodeDigest, reapi.decodeDigest),
  sample("digest_max", D3, reapi.encodeDigest, reapi.decodeDigest),
  sample("digest_empty", EMPTY, reapi.encodeDigest, reapi.decodeDigest),
  sample("platform", PLATFORM, reapi.encodePlatform, reapi.decodePlatform),
  sample(
    "command",
    {
      arguments: ["/bin/sh", "-c", 'echo "$GREETING" > out/ünï.txt', ""],
      environmentVariables: [
        { name: "EMPTY", value: "" },
        { name: "GREETING", value: "héllo 😀" },
        { name: "PATH", value: "/usr/bin:/bin" },
      ],
      outputPaths: ["out/a.txt", "out/ünï.txt"],
      workingDirectory: "sub/dir",
      platform: PLATFORM,
      outputFiles: ["out/a.txt"],
      outputDirectories: ["out/d", ""],
    },
    reapi.encodeCommand,
    reapi.decodeCommand,
  ),
  sample(
    "command_minimal",
    { arguments: ["true"], environmentVariables: [], outputPaths: [], workingDirectory: "" },
    reapi.encodeCommand,
    reapi.decodeCommand,
  ),
  sample(
    "action",
    {
      commandDigest: D1,
      inputRootDigest: D2,
      timeout: { seconds: 1, nanos: 500_000_000 },
      doNotCache: true,
      salt: new Uint8Array([0, 1, 0xfe, 0xff]),
      platform: PLATFORM,
    },
    reapi.encodeAction,
    reapi.decodeAction,
  ),
  sample(
    "action_minimal",
    { commandDigest: D1, inputRootDigest: EMPTY },
    reapi.encodeAction,
    reapi.decodeAction,
  ),
  sample("directory", DIRECTORY, reapi.encodeDirectory, reapi.decodeDirectory),
  sample("directory_empty", EMPTY_DIRECTORY, reapi.encodeDirectory, reapi.decodeDirectory),
  sample(
    "tree",
    { root: DIRECTORY, children: [EMPTY_DIRECTORY, DIRECTORY] },
    reapi.encodeTree,
    reapi.decodeTree,
  ),
  sample("action_result", RESULT, reapi.encodeActionResult, reapi.decodeActionResult),
  sample(
    "action_result_failed",
    { outputFiles: [], outputDirectories: [], exitCode: -1 },
    reapi.encodeActionResult,
    reapi.decodeActionResult,
  ),
  sample(
    "executed_action_metadata",
    METADATA,
    reapi.encodeExecutedActionMetadata,
    reapi.decodeExecutedActionMetadata,
  ),

  // ContentAddressableStorage
  sample(
    "find_missing_blobs_request",
    { instanceName: "main", blobDigests: [D1, D2, EMPTY], digestFunction: 1 },
    reapi.encodeFindMissingBlobsRequest,
    reapi.decodeFindMissingBlobsRequest,
  ),
  sample(
    "find_missing_blobs_response",
    { missingBlobDigests: [D3, D1] },
    reapi.encodeFindMissingBlobsResponse,
    reapi.decodeFindMissingBlobsResponse,
  ),
  sample(
    "batch_update_blobs_request",
    {
      instanceName: "main",
      requests: [
        { digest: D1, data: utf8("hello") },
        { digest: D2, data: new Uint8Array(300).fill(7), compressor: 1 },
        { digest: EMPTY, data: new Uint8Array() },
      ],
      digestFunction: 1,
    },
    reapi.encodeBatchUpdateBlobsRequest,
    reapi.decodeBatchUpdateBlobsRequest,
  ),
  sample(
    "batch_update_blobs_response",
    {
      responses: [{ digest: D1, status: { code: 0 } }, { digest: D2, status: STATUS }, {
        digest: D3,
      }],
    },
    reapi.encodeBatchUpdateBlobsResponse,
    reapi.decodeBatchUpdateBlobsResponse,
  ),
  sample(
    "batch_read_blobs_request",
    { instanceName: "main", digests: [D1, D2], acceptableCompressors: [1, 3], digestFunction: 1 },
    reapi.encodeBatchReadBlobsRequest,
    reapi.decodeBatchReadBlobsRequest,
  ),
  sample(
    "batch_read_blobs_response",
    {
      responses: [
        { digest: D1, data: utf8("hello"), status: { code: 0 } },
        { digest: D2, data: new Uint8Array(), status: { code: 5, message: "missing" } },
        { digest: D3, data: new Uint8Array([1, 2, 3]), compressor: 1 },
      ],
    },
    reapi.encodeBatchReadBlobsResponse,
    reapi.decodeBatchReadBlobsResponse,
  ),
  sample(
    "get_tree_request",
    { instanceName: "main", rootDigest: D1, pageSize: 1000, pageToken: "next", digestFunction: 1 },
    reapi.encodeGetTreeRequest,
    reapi.decodeGetTreeRequest,
  ),
  sample(
    "get_tree_response",
    { directories: [DIRECTORY, EMPTY_DIRECTORY], nextPageToken: "page-2" },
    reapi.encodeGetTreeResponse,
    reapi.decodeGetTreeResponse,
  ),

  // ActionCache
  sample(
    "get_action_result_request",
    {
      instanceName: "main",
      actionDigest: D1,
      inlineStdout: true,
      inlineStderr: true,
      inlineOutputFiles: ["out/a.o", "bin/tool"],
      digestFunction: 1,
    },
    reapi.encodeGetActionResultRequest,
    reapi.decodeGetActionResultRequest,
  ),
  sample(
    "update_action_result_request",
    {
      instanceName: "main",
      actionDigest: D1,
      actionResult: RESULT,
      resultsCachePolicy: { priority: -3 },
      digestFunction: 1,
    },
    reapi.encodeUpdateActionResultRequest,
    reapi.decodeUpdateActionResultRequest,
  ),

  // Execution
  sample(
    "execute_request",
    {
      instanceName: "main",
      skipCacheLookup: true,
      actionDigest: D1,
      executionPolicy: { priority: 2 },
      resultsCachePolicy: { priority: 0 },
      digestFunction: 1,
      inlineStdout: true,
      inlineStderr: true,
      inlineOutputFiles: ["out/a.o"],
    },
    reapi.encodeExecuteRequest,
    reapi.decodeExecuteRequest,
  ),
  sample(
    "wait_execution_request",
    { name: "operations/0f3a" },
    reapi.encodeWaitExecutionRequest,
    reapi.decodeWaitExecutionRequest,
  ),
  sample(
    "execute_response",
    {
      result: RESULT,
      cachedResult: true,
      status: STATUS,
      serverLogs: {
        "z.log": { digest: D1, humanReadable: true },
        "a.log": { digest: D2 },
        "é.log": { digest: D3 },
      },
      message: "Ran on worker-7",
    },
    reapi.encodeExecuteResponse,
    reapi.decodeExecuteResponse,
  ),
  sample(
    "execute_operation_metadata",
    {
      stage: reapi.ExecutionStage.COMPLETED,
      actionDigest: D1,
      stdoutStreamName: "logs/out",
      stderrStreamName: "logs/err",
      partialExecutionMetadata: { worker: "worker-7" },
      digestFunction: 1,
    },
    reapi.encodeExecuteOperationMetadata,
    reapi.decodeExecuteOperationMetadata,
  ),

  // Capabilities
  sample(
    "get_capabilities_request",
    { instanceName: "main" },
    reapi.encodeGetCapabilitiesRequest,
    reapi.decodeGetCapabilitiesRequest,
  ),
  sample(
    "server_capabilities",
    {
      cacheCapabilities: {
        digestFunctions: [1, 2, 9],
        actionCacheUpdateCapabilities: { updateEnabled: true },
        cachePriorityCapabilities: { priorities: [{ minPriority: -10, maxPriority: 10 }] },
        maxBatchTotalSizeBytes: 4 * 1024 * 1024,
        symlinkAbsolutePathStrategy: 1,
        supportedCompressors: [1, 2],
        supportedBatchUpdateCompressors: [1],
        maxCasBlobSizeBytes: 2 ** 40,
      },
      executionCapabilities: {
        digestFunction: 1,
        execEnabled: true,
        executionPriorityCapabilities: {
          priorities: [{ minPriority: 0, maxPriority: 0 }, { minPriority: 1, maxPriority: 5 }],
        },
        supportedNodeProperties: ["mtime", "unix_mode"],
        digestFunctions: [1, 8],
      },
      deprecatedApiVersion: { major: 1, minor: 0, patch: 0, prerelease: "beta" },
      lowApiVersion: { major: 2, minor: 0, patch: 0 },
      highApiVersion: { major: 2, minor: 3, patch: 1 },
    },
    reapi.encodeServerCapabilities,
    reapi.decodeServerCapabilities,
  ),

  // RequestMetadata
  sample(
    "request_metadata",
    {
      toolDetails: { toolName: "barchan", toolVersion: "0.1.0" },
      actionId: H1,
      toolInvocationId: "5d3c1f9e-build",
      correlatedInvocationsId: "ci-1234",
      actionMnemonic: "CC",
      targetId: "out/a.o",
      configurationId: "default",
    },
    reapi.encodeRequestMetadata,
    reapi.decodeRequestMetadata,
  ),

  // ByteStream
  sample(
    "read_request",
    { resourceName: "main/blobs/" + H2 + "/2684354560", readOffset: 2 ** 32, readLimit: 1 << 20 },
    reapi.encodeReadRequest,
    reapi.decodeReadRequest,
  ),
  sample(
    "read_response",
    { data: new Uint8Array(200).fill(0xab) },
    reapi.encodeReadResponse,
    reapi.decodeReadResponse,
  ),
  sample(
    "write_request",
    {
      resourceName: "main/uploads/u-1/blobs/" + H2 + "/2684354560",
      writeOffset: 2 ** 31,
      finishWrite: true,
      data: utf8("last chunk"),
    },
    reapi.encodeWriteRequest,
    reapi.decodeWriteRequest,
  ),
  sample(
    "write_response",
    { committedSize: 2.5 * 2 ** 30 },
    reapi.encodeWriteResponse,
    reapi.decodeWriteResponse,
  ),
  sample(
    "query_write_status_request",
    { resourceName: "main/uploads/u-1/blobs/" + H2 + "/2684354560" },
    reapi.encodeQueryWriteStatusRequest,
    reapi.decodeQueryWriteStatusRequest,
  ),
  sample(
    "query_write_status_response",
    { committedSize: 1 << 20, complete: true },
    reapi.encodeQueryWriteStatusResponse,
    reapi.decodeQueryWriteStatusResponse,
  ),
];
