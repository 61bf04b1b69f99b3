/**
 * The `Capabilities` service of the Remote Execution API v2: what a server
 * supports (digest functions, batch size limit, compressors, whether it
 * executes and accepts action cache updates), and the enums those name.
 *
 * Decoders leave optional fields out when they hold the default.
 *
 * @module
 */

import { ProtoReader, ProtoWriter } from "./proto.ts";
import { setOptional } from "./_fields.ts";

/**
 * `DigestFunction.Value`: the hash functions a server may use.
 *
 * @example Does the server take SHA-256?
 * ```ts
 * import { DigestFunction } from "./capabilities.ts";
 * import assert from "node:assert/strict";
 *
 * const offered = [DigestFunction.SHA256, DigestFunction.BLAKE3];
 * assert.ok(offered.includes(DigestFunction.SHA256));
 * ```
 */
export const DigestFunction = {
  /** Not given: SHA-256, MD5 or SHA-1, told apart by the hash's length. */
  UNKNOWN: 0,
  /** SHA-256, the one barchan uses. */
  SHA256: 1,
  /** SHA-1. */
  SHA1: 2,
  /** MD5. */
  MD5: 3,
  /** Microsoft's VSO hash. */
  VSO: 4,
  /** SHA-384. */
  SHA384: 5,
  /** SHA-512. */
  SHA512: 6,
  /** MurmurHash3, 128 bits. */
  MURMUR3: 7,
  /** SHA-256 over a tree of chunks. */
  SHA256TREE: 8,
  /** BLAKE3. */
  BLAKE3: 9,
  /** Git's SHA-1 of blobs. */
  GITSHA1: 10,
} as const;

/**
 * `Compressor.Value`: encodings of blobs in transit.
 *
 * @example Identity is the default
 * ```ts
 * import { Compressor } from "./capabilities.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(Compressor.IDENTITY, 0);
 * assert.equal(Compressor.ZSTD, 1);
 * ```
 */
export const Compressor = {
  /** No compression. */
  IDENTITY: 0,
  /** Zstandard. */
  ZSTD: 1,
  /** DEFLATE (RFC 1951). */
  DEFLATE: 2,
  /** Brotli. */
  BROTLI: 3,
} as const;

/**
 * `SymlinkAbsolutePathStrategy.Value`: whether outputs may link to absolute
 * paths.
 *
 * @example Refused
 * ```ts
 * import { SymlinkAbsolutePathStrategy } from "./capabilities.ts";
 * import assert from "node:assert/strict";
 *
 * const strategy: number = SymlinkAbsolutePathStrategy.DISALLOWED;
 * assert.notEqual(strategy, SymlinkAbsolutePathStrategy.ALLOWED);
 * ```
 */
export const SymlinkAbsolutePathStrategy = {
  /** Not said. */
  UNKNOWN: 0,
  /** Absolute targets are refused. */
  DISALLOWED: 1,
  /** Absolute targets are allowed. */
  ALLOWED: 2,
} as const;

/**
 * `build.bazel.semver.SemVer`: an API version.
 *
 * @example v2.3
 * ```ts
 * import type { SemVer } from "./capabilities.ts";
 * import assert from "node:assert/strict";
 *
 * const v: SemVer = { major: 2, minor: 3, patch: 0 };
 * assert.equal(`${v.major}.${v.minor}`, "2.3");
 * ```
 */
export interface SemVer {
  /** Major version. */
  major: number;
  /** Minor version. */
  minor: number;
  /** Patch version. */
  patch: number;
  /** A pre-release label. @default "" */
  prerelease?: string;
}

/**
 * `PriorityCapabilities.PriorityRange`: a range of priorities the server
 * honours.
 *
 * @example Priorities 1 to 10
 * ```ts
 * import type { PriorityRange } from "./capabilities.ts";
 * import assert from "node:assert/strict";
 *
 * const range: PriorityRange = { minPriority: 1, maxPriority: 10 };
 * assert.ok(range.minPriority <= range.maxPriority);
 * ```
 */
export interface PriorityRange {
  /** The lowest value, inclusive. */
  minPriority: number;
  /** The highest value, inclusive. */
  maxPriority: number;
}

/**
 * `PriorityCapabilities`: the priorities the server honours.
 *
 * @example Two ranges
 * ```ts
 * import type { PriorityCapabilities } from "./capabilities.ts";
 * import assert from "node:assert/strict";
 *
 * const caps: PriorityCapabilities = {
 *   priorities: [{ minPriority: -10, maxPriority: -1 }, { minPriority: 1, maxPriority: 10 }],
 * };
 * assert.equal(caps.priorities.length, 2);
 * ```
 */
export interface PriorityCapabilities {
  /** The ranges. */
  priorities: PriorityRange[];
}

/**
 * `CacheCapabilities`: what the CAS and action cache support.
 *
 * @example A SHA-256 cache taking 4 MiB batches
 * ```ts
 * import { type CacheCapabilities, DigestFunction } from "./capabilities.ts";
 * import assert from "node:assert/strict";
 *
 * const caps: CacheCapabilities = {
 *   digestFunctions: [DigestFunction.SHA256],
 *   actionCacheUpdateCapabilities: { updateEnabled: true },
 *   maxBatchTotalSizeBytes: 4 * 1024 * 1024,
 * };
 * assert.ok(caps.digestFunctions.includes(DigestFunction.SHA256));
 * ```
 */
export interface CacheCapabilities {
  /** {@linkcode DigestFunction} values the server accepts. */
  digestFunctions: number[];
  /** Whether clients may write the action cache. */
  actionCacheUpdateCapabilities?: { updateEnabled: boolean };
  /** Cache priorities the server honours. */
  cachePriorityCapabilities?: PriorityCapabilities;
  /** The most bytes in one batch request; 0 means no limit. @default 0 */
  maxBatchTotalSizeBytes?: number;
  /** A {@linkcode SymlinkAbsolutePathStrategy} value. @default 0 */
  symlinkAbsolutePathStrategy?: number;
  /** {@linkcode Compressor} values accepted by ByteStream. @default [] */
  supportedCompressors?: number[];
  /** {@linkcode Compressor} values accepted in batch updates. @default [] */
  supportedBatchUpdateCompressors?: number[];
  /** The largest blob the CAS stores; 0 means no limit. @default 0 */
  maxCasBlobSizeBytes?: number;
}

/**
 * `ExecutionCapabilities`: whether and how the server executes actions.
 *
 * @example Execution enabled
 * ```ts
 * import { DigestFunction, type ExecutionCapabilities } from "./capabilities.ts";
 * import assert from "node:assert/strict";
 *
 * const caps: ExecutionCapabilities = { digestFunction: DigestFunction.SHA256, execEnabled: true };
 * assert.equal(caps.execEnabled, true);
 * ```
 */
export interface ExecutionCapabilities {
  /** The {@linkcode DigestFunction} value of actions. */
  digestFunction: number;
  /** Whether the server executes actions. */
  execEnabled: boolean;
  /** Execution priorities the server honours. */
  executionPriorityCapabilities?: PriorityCapabilities;
  /** Node properties the server supports. @default [] */
  supportedNodeProperties?: string[];
  /** Every {@linkcode DigestFunction} value it accepts (new in v2.3). @default [] */
  digestFunctions?: number[];
}

/**
 * `ServerCapabilities`: the answer to `GetCapabilities`.
 *
 * @example A cache-only server
 * ```ts
 * import {
 *   decodeServerCapabilities,
 *   encodeServerCapabilities,
 *   type ServerCapabilities,
 * } from "./capabilities.ts";
 * import assert from "node:assert/strict";
 *
 * const caps: ServerCapabilities = {
 *   cacheCapabilities: { digestFunctions: [1], maxBatchTotalSizeBytes: 4194304 },
 *   lowApiVersion: { major: 2, minor: 0, patch: 0 },
 *   highApiVersion: { major: 2, minor: 3, patch: 0 },
 * };
 * assert.deepEqual(decodeServerCapabilities(encodeServerCapabilities(caps)), caps);
 * ```
 */
export interface ServerCapabilities {
  /** What the caches support, if the server has them. */
  cacheCapabilities?: CacheCapabilities;
  /** What execution supports, if the server executes. */
  executionCapabilities?: ExecutionCapabilities;
  /** The oldest deprecated API version still served. */
  deprecatedApiVersion?: SemVer;
  /** The oldest API version served. */
  lowApiVersion?: SemVer;
  /** The newest API version served. */
  highApiVersion?: SemVer;
}

/**
 * `GetCapabilitiesRequest`.
 *
 * @example For the default instance
 * ```ts
 * import { encodeGetCapabilitiesRequest, type GetCapabilitiesRequest } from "./capabilities.ts";
 * import assert from "node:assert/strict";
 *
 * const request: GetCapabilitiesRequest = {};
 * assert.equal(encodeGetCapabilitiesRequest(request).length, 0);
 * ```
 */
export interface GetCapabilitiesRequest {
  /** The server's instance name. @default "" */
  instanceName?: string;
}

/**
 * Encodes a `GetCapabilitiesRequest`.
 *
 * @example An instance name
 * ```ts
 * import { encodeGetCapabilitiesRequest } from "./capabilities.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeGetCapabilitiesRequest({ instanceName: "i" }), new Uint8Array([0x0a, 1, 0x69]));
 * ```
 */
export function encodeGetCapabilitiesRequest(request: GetCapabilitiesRequest): Uint8Array {
  const w = new ProtoWriter(64);
  w.string(1, request.instanceName);
  return w.finish();
}

/**
 * Decodes a `GetCapabilitiesRequest`.
 *
 * @example Round trip
 * ```ts
 * import { decodeGetCapabilitiesRequest, encodeGetCapabilitiesRequest } from "./capabilities.ts";
 * import assert from "node:assert/strict";
 *
 * const request = { instanceName: "main" };
 * assert.deepEqual(decodeGetCapabilitiesRequest(encodeGetCapabilitiesRequest(request)), request);
 * ```
 */
export function decodeGetCapabilitiesRequest(bytes: Uint8Array): GetCapabilitiesRequest {
  const r = new ProtoReader(bytes);
  const request: GetCapabilitiesRequest = {};
  while (r.next()) {
    if (r.field === 1) setOptional(request, "instanceName", r.string());
    else r.skip();
  }
  return request;
}

/**
 * Encodes a `ServerCapabilities`.
 *
 * @example Digest functions are packed
 * ```ts
 * import { encodeServerCapabilities } from "./capabilities.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeServerCapabilities({ cacheCapabilities: { digestFunctions: [1, 2] } });
 * assert.deepEqual(bytes, new Uint8Array([0x0a, 4, 0x0a, 2, 1, 2]));
 * ```
 */
export function encodeServerCapabilities(capabilities: ServerCapabilities): Uint8Array {
  const w = new ProtoWriter();
  w.message(1, capabilities.cacheCapabilities, _writeCacheCapabilities);
  w.message(2, capabilities.executionCapabilities, _writeExecutionCapabilities);
  w.message(3, capabilities.deprecatedApiVersion, _writeSemVer);
  w.message(4, capabilities.lowApiVersion, _writeSemVer);
  w.message(5, capabilities.highApiVersion, _writeSemVer);
  return w.finish();
}

/**
 * Decodes a `ServerCapabilities`.
 *
 * @example An executor
 * ```ts
 * import { decodeServerCapabilities, encodeServerCapabilities } from "./capabilities.ts";
 * import assert from "node:assert/strict";
 *
 * const caps = {
 *   executionCapabilities: {
 *     digestFunction: 1,
 *     execEnabled: true,
 *     executionPriorityCapabilities: { priorities: [{ minPriority: 0, maxPriority: 5 }] },
 *   },
 * };
 * assert.deepEqual(decodeServerCapabilities(encodeServerCapabilities(caps)), caps);
 * ```
 */
export function decodeServerCapabilities(bytes: Uint8Array): ServerCapabilities {
  const r = new ProtoReader(bytes);
  const capabilities: ServerCapabilities = {};
  while (r.next()) {
    switch (r.field) {
      case 1:
        capabilities.cacheCapabilities = r.message(_readCacheCapabilities);
        break;
      case 2:
        capabilities.executionCapabilities = r.message(_readExecutionCapabilities);
        break;
      case 3:
        capabilities.deprecatedApiVersion = r.message(_readSemVer);
        break;
      case 4:
        capabilities.lowApiVersion = r.message(_readSemVer);
        break;
      case 5:
        capabilities.highApiVersion = r.message(_readSemVer);
        break;
      default:
        r.skip();
    }
  }
  return capabilities;
}

function _writeSemVer(w: ProtoWriter, version: SemVer): void {
  w.int32(1, version.major);
  w.int32(2, version.minor);
  w.int32(3, version.patch);
  w.string(4, version.prerelease);
}

function _readSemVer(r: ProtoReader): SemVer {
  const version: SemVer = { major: 0, minor: 0, patch: 0 };
  while (r.next()) {
    switch (r.field) {
      case 1:
        version.major = r.int32();
        break;
      case 2:
        version.minor = r.int32();
        break;
      case 3:
        version.patch = r.int32();
        break;
      case 4:
        setOptional(version, "prerelease", r.string());
        break;
      default:
        r.skip();
    }
  }
  return version;
}

function _writePriorities(w: ProtoWriter, capabilities: PriorityCapabilities): void {
  w.repeatedMessage(1, capabilities.priorities, (w, range) => {
    w.int32(1, range.minPriority);
    w.int32(2, range.maxPriority);
  });
}

function _readPriorities(r: ProtoReader): PriorityCapabilities {
  const priorities: PriorityRange[] = [];
  while (r.next()) {
    if (r.field !== 1) {
      r.skip();
      continue;
    }
    priorities.push(r.message((r) => {
      const range: PriorityRange = { minPriority: 0, maxPriority: 0 };
      while (r.next()) {
        if (r.field === 1) range.minPriority = r.int32();
        else if (r.field === 2) range.maxPriority = r.int32();
        else r.skip();
      }
      return range;
    }));
  }
  return { priorities };
}

function _writeCacheCapabilities(w: ProtoWriter, caps: CacheCapabilities): void {
  w.packedInt32(1, caps.digestFunctions);
  w.message(2, caps.actionCacheUpdateCapabilities, (w, c) => w.bool(1, c.updateEnabled));
  w.message(3, caps.cachePriorityCapabilities, _writePriorities);
  w.int64(4, caps.maxBatchTotalSizeBytes);
  w.int32(5, caps.symlinkAbsolutePathStrategy);
  w.packedInt32(6, caps.supportedCompressors);
  w.packedInt32(7, caps.supportedBatchUpdateCompressors);
  w.int64(8, caps.maxCasBlobSizeBytes);
}

function _readCacheCapabilities(r: ProtoReader): CacheCapabilities {
  const caps: CacheCapabilities = { digestFunctions: [] };
  const compressors: number[] = [];
  const batchCompressors: number[] = [];
  while (r.next()) {
    switch (r.field) {
      case 1:
        r.repeatedInt32(caps.digestFunctions);
        break;
      case 2:
        caps.actionCacheUpdateCapabilities = r.message((r) => {
          let updateEnabled = false;
          while (r.next()) {
            if (r.field === 1) updateEnabled = r.bool();
            else r.skip();
          }
          return { updateEnabled };
        });
        break;
      case 3:
        caps.cachePriorityCapabilities = r.message(_readPriorities);
        break;
      case 4:
        setOptional(caps, "maxBatchTotalSizeBytes", r.int64());
        break;
      case 5:
        setOptional(caps, "symlinkAbsolutePathStrategy", r.int32());
        break;
      case 6:
        r.repeatedInt32(compressors);
        break;
      case 7:
        r.repeatedInt32(batchCompressors);
        break;
      case 8:
        setOptional(caps, "maxCasBlobSizeBytes", r.int64());
        break;
      default:
        r.skip();
    }
  }
  if (compressors.length > 0) caps.supportedCompressors = compressors;
  if (batchCompressors.length > 0) caps.supportedBatchUpdateCompressors = batchCompressors;
  return caps;
}

function _writeExecutionCapabilities(w: ProtoWriter, caps: ExecutionCapabilities): void {
  w.int32(1, caps.digestFunction);
  w.bool(2, caps.execEnabled);
  w.message(3, caps.executionPriorityCapabilities, _writePriorities);
  w.repeatedString(4, caps.supportedNodeProperties);
  w.packedInt32(5, caps.digestFunctions);
}

function _readExecutionCapabilities(r: ProtoReader): ExecutionCapabilities {
  const caps: ExecutionCapabilities = { digestFunction: 0, execEnabled: false };
  const nodeProperties: string[] = [];
  const digestFunctions: number[] = [];
  while (r.next()) {
    switch (r.field) {
      case 1:
        caps.digestFunction = r.int32();
        break;
      case 2:
        caps.execEnabled = r.bool();
        break;
      case 3:
        caps.executionPriorityCapabilities = r.message(_readPriorities);
        break;
      case 4:
        nodeProperties.push(r.string());
        break;
      case 5:
        r.repeatedInt32(digestFunctions);
        break;
      default:
        r.skip();
    }
  }
  if (nodeProperties.length > 0) caps.supportedNodeProperties = nodeProperties;
  if (digestFunctions.length > 0) caps.digestFunctions = digestFunctions;
  return caps;
}
