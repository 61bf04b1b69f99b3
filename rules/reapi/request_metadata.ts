/**
 * `RequestMetadata`: who is calling, sent with every Remote Execution API
 * call as the binary gRPC header {@linkcode REQUEST_METADATA_HEADER}, so that
 * servers can group the calls of one build and one action.
 *
 * @module
 */

import { ProtoReader, ProtoWriter } from "./proto.ts";
import { setOptional } from "./_fields.ts";

/**
 * The gRPC metadata key that carries an encoded `RequestMetadata` (a binary
 * header: its name ends in `-bin`).
 *
 * @example Headers of a call
 * ```ts
 * import { encodeRequestMetadata, REQUEST_METADATA_HEADER } from "./request_metadata.ts";
 * import assert from "node:assert/strict";
 *
 * const headers = new Map([[REQUEST_METADATA_HEADER, encodeRequestMetadata({ actionId: "a" })]]);
 * assert.ok([...headers.keys()][0].endsWith("-bin"));
 * ```
 */
export const REQUEST_METADATA_HEADER = "build.bazel.remote.execution.v2.requestmetadata-bin";

/**
 * `ToolDetails`: the client's name and version.
 *
 * @example barchan
 * ```ts
 * import type { ToolDetails } from "./request_metadata.ts";
 * import assert from "node:assert/strict";
 *
 * const tool: ToolDetails = { toolName: "barchan", toolVersion: "0.1.0" };
 * assert.equal(tool.toolName, "barchan");
 * ```
 */
export interface ToolDetails {
  /** The tool's name. */
  toolName: string;
  /** Its version. */
  toolVersion: string;
}

/**
 * `RequestMetadata`: the context of one call.
 *
 * @example One action of one build
 * ```ts
 * import {
 *   decodeRequestMetadata,
 *   encodeRequestMetadata,
 *   type RequestMetadata,
 * } from "./request_metadata.ts";
 * import assert from "node:assert/strict";
 *
 * const metadata: RequestMetadata = {
 *   toolDetails: { toolName: "barchan", toolVersion: "0.1.0" },
 *   actionId: "3f2a",
 *   toolInvocationId: "build-1",
 * };
 * assert.deepEqual(decodeRequestMetadata(encodeRequestMetadata(metadata)), metadata);
 * ```
 */
export interface RequestMetadata {
  /** The client. */
  toolDetails?: ToolDetails;
  /** Identifies the action (for example its digest's hash). @default "" */
  actionId?: string;
  /** Identifies one run of the tool (one build). @default "" */
  toolInvocationId?: string;
  /** Groups several runs (a CI job). @default "" */
  correlatedInvocationsId?: string;
  /** What kind of action it is (new in v2.1). @default "" */
  actionMnemonic?: string;
  /** Which target it belongs to (new in v2.1). @default "" */
  targetId?: string;
  /** Which configuration it was built in (new in v2.1). @default "" */
  configurationId?: string;
}

/**
 * Encodes a `RequestMetadata`, the value of the
 * {@linkcode REQUEST_METADATA_HEADER} header.
 *
 * @example Tool details only
 * ```ts
 * import { encodeRequestMetadata } from "./request_metadata.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeRequestMetadata({ toolDetails: { toolName: "b", toolVersion: "" } });
 * assert.deepEqual(bytes, new Uint8Array([0x0a, 3, 0x0a, 1, 0x62]));
 * ```
 */
export function encodeRequestMetadata(metadata: RequestMetadata): Uint8Array {
  const w = new ProtoWriter();
  w.message(1, metadata.toolDetails, (w, tool) => {
    w.string(1, tool.toolName);
    w.string(2, tool.toolVersion);
  });
  w.string(2, metadata.actionId);
  w.string(3, metadata.toolInvocationId);
  w.string(4, metadata.correlatedInvocationsId);
  w.string(5, metadata.actionMnemonic);
  w.string(6, metadata.targetId);
  w.string(7, metadata.configurationId);
  return w.finish();
}

/**
 * Decodes a `RequestMetadata`.
 *
 * @example Every field
 * ```ts
 * import { decodeRequestMetadata, encodeRequestMetadata } from "./request_metadata.ts";
 * import assert from "node:assert/strict";
 *
 * const metadata = {
 *   toolDetails: { toolName: "barchan", toolVersion: "0.1.0" },
 *   actionId: "a",
 *   toolInvocationId: "b",
 *   correlatedInvocationsId: "c",
 *   actionMnemonic: "CC",
 *   targetId: "out/a.o",
 *   configurationId: "default",
 * };
 * assert.deepEqual(decodeRequestMetadata(encodeRequestMetadata(metadata)), metadata);
 * ```
 */
export function decodeRequestMetadata(bytes: Uint8Array): RequestMetadata {
  const r = new ProtoReader(bytes);
  const metadata: RequestMetadata = {};
  while (r.next()) {
    switch (r.field) {
      case 1:
        metadata.toolDetails = r.message((r) => {
          const tool: ToolDetails = { toolName: "", toolVersion: "" };
          while (r.next()) {
            if (r.field === 1) tool.toolName = r.string();
            else if (r.field === 2) tool.toolVersion = r.string();
            else r.skip();
          }
          return tool;
        });
        break;
      case 2:
        setOptional(metadata, "actionId", r.string());
        break;
      case 3:
        setOptional(metadata, "toolInvocationId", r.string());
        break;
      case 4:
        setOptional(metadata, "correlatedInvocationsId", r.string());
        break;
      case 5:
        setOptional(metadata, "actionMnemonic", r.string());
        break;
      case 6:
        setOptional(metadata, "targetId", r.string());
        break;
      case 7:
        setOptional(metadata, "configurationId", r.string());
        break;
      default:
        r.skip();
    }
  }
  return metadata;
}
