/**
 * What an action is, in the Remote Execution API v2
 * (`build.bazel.remote.execution.v2`): `Digest`, `Platform`, `Command` and
 * `Action`.
 *
 * The encoders write fields in field-number order and leave out defaults, so
 * their output is the canonical encoding that servers hash. They encode what
 * they are given: sorting environment variables, output paths and platform
 * properties, as REAPI requires, is the caller's job (see `encodeAction` in
 * action.ts, which does it). Decoders leave optional fields out when they hold
 * the default, and return bytes as views into their input.
 *
 * @module
 */

import { decodeDuration, type Duration, encodeDuration } from "./google.ts";
import { ProtoReader, ProtoWriter } from "./proto.ts";

/**
 * A blob's content address: the lowercase hex SHA-256 of its bytes and its
 * size.
 *
 * @example The empty blob
 * ```ts
 * import { type Digest, encodeDigest } from "./messages.ts";
 * import assert from "node:assert/strict";
 *
 * const empty: Digest = {
 *   hash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
 *   sizeBytes: 0,
 * };
 * assert.equal(encodeDigest(empty).length, 2 + 64);
 * ```
 */
export interface Digest {
  /** Lowercase hex SHA-256, 64 characters. */
  hash: string;
  /** The blob's size in bytes. */
  sizeBytes: number;
}

/**
 * One `Platform.Property`: a requirement on the worker, such as `OSFamily`
 * or `container-image`.
 *
 * @example A property
 * ```ts
 * import type { PlatformProperty } from "./messages.ts";
 * import assert from "node:assert/strict";
 *
 * const os: PlatformProperty = { name: "OSFamily", value: "linux" };
 * assert.equal(os.value, "linux");
 * ```
 */
export interface PlatformProperty {
  /** The property's name. */
  name: string;
  /** Its value. */
  value: string;
}

/**
 * `Platform`: the properties a worker must have, sorted by name and then
 * value (by code point).
 *
 * @example Encoding a platform inside a Command
 * ```ts
 * import { decodeCommand, encodeCommand, type Platform } from "./messages.ts";
 * import assert from "node:assert/strict";
 *
 * const platform: Platform = { properties: [{ name: "OSFamily", value: "linux" }] };
 * const command = {
 *   arguments: ["true"],
 *   environmentVariables: [],
 *   outputPaths: [],
 *   workingDirectory: "",
 *   platform,
 * };
 * assert.deepEqual(decodeCommand(encodeCommand(command)).platform, platform);
 * ```
 */
export interface Platform {
  /** The properties, sorted. */
  properties: PlatformProperty[];
}

/**
 * One `Command.EnvironmentVariable`.
 *
 * @example A variable
 * ```ts
 * import type { EnvironmentVariable } from "./messages.ts";
 * import assert from "node:assert/strict";
 *
 * const lang: EnvironmentVariable = { name: "LANG", value: "C.UTF-8" };
 * assert.equal(lang.name, "LANG");
 * ```
 */
export interface EnvironmentVariable {
  /** The variable's name. */
  name: string;
  /** Its value. */
  value: string;
}

/**
 * `Command`: what to run, where, with which environment, and which outputs
 * to collect.
 *
 * @example A compiler call
 * ```ts
 * import { type Command, decodeCommand, encodeCommand } from "./messages.ts";
 * import assert from "node:assert/strict";
 *
 * const command: Command = {
 *   arguments: ["cc", "-c", "a.c", "-o", "a.o"],
 *   environmentVariables: [{ name: "PATH", value: "/usr/bin" }],
 *   outputPaths: ["a.o"],
 *   workingDirectory: "",
 * };
 * assert.deepEqual(decodeCommand(encodeCommand(command)), command);
 * ```
 */
export interface Command {
  /** argv; the first is the program, absolute or relative to the working directory. */
  arguments: string[];
  /** The whole environment, sorted by name (by code point). */
  environmentVariables: EnvironmentVariable[];
  /** Output files and directories, relative to the working directory, sorted and unique. */
  outputPaths: string[];
  /** The directory to run in, relative to the input root; `""` is the root. */
  workingDirectory: string;
  /** Deprecated since v2.2 in favour of `Action.platform`; set both for older servers. */
  platform?: Platform;
  /** Deprecated since v2.1 (`outputPaths`), for servers older than that. @default [] */
  outputFiles?: string[];
  /** Deprecated since v2.1 (`outputPaths`), for servers older than that. @default [] */
  outputDirectories?: string[];
}

/**
 * `Action`: a command and its input root, the unit that is executed and
 * cached. The SHA-256 of its encoding is the action's key.
 *
 * @example An action with a timeout and a salt
 * ```ts
 * import { type Action, decodeAction, encodeAction } from "./messages.ts";
 * import assert from "node:assert/strict";
 *
 * const hash = "0".repeat(64);
 * const action: Action = {
 *   commandDigest: { hash, sizeBytes: 12 },
 *   inputRootDigest: { hash, sizeBytes: 0 },
 *   timeout: { seconds: 60, nanos: 0 },
 *   salt: new TextEncoder().encode("v1"),
 * };
 * assert.deepEqual(decodeAction(encodeAction(action)), action);
 * ```
 */
export interface Action {
  /** The digest of the encoded `Command`. */
  commandDigest: Digest;
  /** The digest of the input root's encoded `Directory`. */
  inputRootDigest: Digest;
  /** How long the command may run; absent means the server's default. */
  timeout?: Duration;
  /** Whether the result must not be cached. @default false */
  doNotCache?: boolean;
  /** Bytes that put the action in a separate cache namespace. @default empty */
  salt?: Uint8Array;
  /** The worker's required platform (new in v2.2). */
  platform?: Platform;
}

/**
 * Encodes a `Digest`.
 *
 * @example Three bytes
 * ```ts
 * import { encodeDigest } from "./messages.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeDigest({ hash: "ab", sizeBytes: 3 });
 * assert.deepEqual(bytes, new Uint8Array([0x0a, 2, 0x61, 0x62, 0x10, 3]));
 * ```
 */
export function encodeDigest(digest: Digest): Uint8Array {
  const w = new ProtoWriter(80);
  writeDigest(w, digest);
  return w.finish();
}

/**
 * Decodes a `Digest`.
 *
 * @example Round trip of a large size
 * ```ts
 * import { decodeDigest, encodeDigest } from "./messages.ts";
 * import assert from "node:assert/strict";
 *
 * const digest = { hash: "f".repeat(64), sizeBytes: 2.5 * 2 ** 30 };
 * assert.deepEqual(decodeDigest(encodeDigest(digest)), digest);
 * ```
 */
export function decodeDigest(bytes: Uint8Array): Digest {
  return readDigest(new ProtoReader(bytes));
}

/**
 * Encodes a `Platform`.
 *
 * @example Empty platform, empty bytes
 * ```ts
 * import { encodePlatform } from "./messages.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodePlatform({ properties: [] }).length, 0);
 * ```
 */
export function encodePlatform(platform: Platform): Uint8Array {
  const w = new ProtoWriter();
  _writePlatform(w, platform);
  return w.finish();
}

/**
 * Decodes a `Platform`.
 *
 * @example Round trip
 * ```ts
 * import { decodePlatform, encodePlatform } from "./messages.ts";
 * import assert from "node:assert/strict";
 *
 * const platform = { properties: [{ name: "ISA", value: "x86-64" }, { name: "OSFamily", value: "linux" }] };
 * assert.deepEqual(decodePlatform(encodePlatform(platform)), platform);
 * ```
 */
export function decodePlatform(bytes: Uint8Array): Platform {
  return _readPlatform(new ProtoReader(bytes));
}

/**
 * Encodes a `Command`, in the order the fields are given.
 *
 * @example The working directory comes after the platform (field 6 after 5)
 * ```ts
 * import { encodeCommand } from "./messages.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeCommand({
 *   arguments: ["true"],
 *   environmentVariables: [],
 *   outputPaths: [],
 *   workingDirectory: "d",
 *   platform: { properties: [] },
 * });
 * assert.deepEqual(bytes, new Uint8Array([0x0a, 4, 0x74, 0x72, 0x75, 0x65, 0x2a, 0, 0x32, 1, 0x64]));
 * ```
 */
export function encodeCommand(command: Command): Uint8Array {
  const w = new ProtoWriter();
  w.repeatedString(1, command.arguments);
  w.repeatedMessage(2, command.environmentVariables, _writeNameValue);
  w.repeatedString(3, command.outputFiles);
  w.repeatedString(4, command.outputDirectories);
  w.message(5, command.platform, _writePlatform);
  w.string(6, command.workingDirectory);
  w.repeatedString(7, command.outputPaths);
  return w.finish();
}

/**
 * Decodes a `Command`.
 *
 * @example Deprecated output fields are kept
 * ```ts
 * import { decodeCommand, encodeCommand } from "./messages.ts";
 * import assert from "node:assert/strict";
 *
 * const command = {
 *   arguments: ["touch", "out"],
 *   environmentVariables: [],
 *   outputPaths: ["out"],
 *   workingDirectory: "",
 *   outputFiles: ["out"],
 * };
 * assert.deepEqual(decodeCommand(encodeCommand(command)), command);
 * ```
 */
export function decodeCommand(bytes: Uint8Array): Command {
  const r = new ProtoReader(bytes);
  const command: Command = {
    arguments: [],
    environmentVariables: [],
    outputPaths: [],
    workingDirectory: "",
  };
  const outputFiles: string[] = [];
  const outputDirectories: string[] = [];
  while (r.next()) {
    switch (r.field) {
      case 1:
        command.arguments.push(r.string());
        break;
      case 2:
        command.environmentVariables.push(r.message(_readNameValue));
        break;
      case 3:
        outputFiles.push(r.string());
        break;
      case 4:
        outputDirectories.push(r.string());
        break;
      case 5:
        command.platform = r.message(_readPlatform);
        break;
      case 6:
        command.workingDirectory = r.string();
        break;
      case 7:
        command.outputPaths.push(r.string());
        break;
      default:
        r.skip();
    }
  }
  if (outputFiles.length > 0) command.outputFiles = outputFiles;
  if (outputDirectories.length > 0) command.outputDirectories = outputDirectories;
  return command;
}

/**
 * Encodes an `Action`. Its SHA-256 is the action's cache key.
 *
 * @example `doNotCache: false` is the default and adds nothing
 * ```ts
 * import { encodeAction } from "./messages.ts";
 * import assert from "node:assert/strict";
 *
 * const digest = { hash: "ab", sizeBytes: 1 };
 * const plain = { commandDigest: digest, inputRootDigest: digest };
 * assert.deepEqual(encodeAction({ ...plain, doNotCache: false }), encodeAction(plain));
 * ```
 */
export function encodeAction(action: Action): Uint8Array {
  const w = new ProtoWriter();
  w.message(1, action.commandDigest, writeDigest);
  w.message(2, action.inputRootDigest, writeDigest);
  w.encodedMessage(6, action.timeout && encodeDuration(action.timeout));
  w.bool(7, action.doNotCache);
  w.bytes(9, action.salt);
  w.message(10, action.platform, _writePlatform);
  return w.finish();
}

/**
 * Decodes an `Action`. A missing digest field decodes as the empty digest
 * `{ hash: "", sizeBytes: 0 }`.
 *
 * @example Round trip with a platform
 * ```ts
 * import { decodeAction, encodeAction } from "./messages.ts";
 * import assert from "node:assert/strict";
 *
 * const action = {
 *   commandDigest: { hash: "c".repeat(64), sizeBytes: 40 },
 *   inputRootDigest: { hash: "d".repeat(64), sizeBytes: 80 },
 *   doNotCache: true,
 *   platform: { properties: [{ name: "OSFamily", value: "linux" }] },
 * };
 * assert.deepEqual(decodeAction(encodeAction(action)), action);
 * ```
 */
export function decodeAction(bytes: Uint8Array): Action {
  const r = new ProtoReader(bytes);
  const action: Action = {
    commandDigest: { hash: "", sizeBytes: 0 },
    inputRootDigest: { hash: "", sizeBytes: 0 },
  };
  while (r.next()) {
    switch (r.field) {
      case 1:
        action.commandDigest = r.message(readDigest);
        break;
      case 2:
        action.inputRootDigest = r.message(readDigest);
        break;
      case 6:
        action.timeout = decodeDuration(r.bytes());
        break;
      case 7:
        if (r.bool()) action.doNotCache = true;
        else delete action.doNotCache;
        break;
      case 9:
        action.salt = r.bytes();
        break;
      case 10:
        action.platform = r.message(_readPlatform);
        break;
      default:
        r.skip();
    }
  }
  if (action.salt?.length === 0) delete action.salt;
  return action;
}

/**
 * Writes a `Digest`'s fields into a writer, to embed it in another message
 * without encoding it separately: `w.message(field, digest, writeDigest)`.
 *
 * @example A message whose field 2 is a Digest
 * ```ts
 * import { encodeDigest, writeDigest } from "./messages.ts";
 * import { ProtoWriter } from "./proto.ts";
 * import assert from "node:assert/strict";
 *
 * const digest = { hash: "ab", sizeBytes: 3 };
 * const w = new ProtoWriter();
 * w.message(2, digest, writeDigest);
 * assert.deepEqual(w.finish(), new Uint8Array([0x12, 6, ...encodeDigest(digest)]));
 * ```
 */
export function writeDigest(w: ProtoWriter, digest: Digest): void {
  w.string(1, digest.hash);
  w.int64(2, digest.sizeBytes);
}

/**
 * Reads a `Digest` embedded in another message: `r.message(readDigest)`.
 *
 * @example Field 2 of a message
 * ```ts
 * import { readDigest } from "./messages.ts";
 * import { ProtoReader } from "./proto.ts";
 * import assert from "node:assert/strict";
 *
 * const r = new ProtoReader(new Uint8Array([0x12, 6, 0x0a, 2, 0x61, 0x62, 0x10, 3]));
 * assert.equal(r.next(), true);
 * assert.deepEqual(r.message(readDigest), { hash: "ab", sizeBytes: 3 });
 * ```
 */
export function readDigest(r: ProtoReader): Digest {
  let hash = "";
  let sizeBytes = 0;
  while (r.next()) {
    if (r.field === 1) hash = r.string();
    else if (r.field === 2) sizeBytes = r.int64();
    else r.skip();
  }
  return { hash, sizeBytes };
}

function _writeNameValue(w: ProtoWriter, pair: { name: string; value: string }): void {
  w.string(1, pair.name);
  w.string(2, pair.value);
}

function _readNameValue(r: ProtoReader): { name: string; value: string } {
  let name = "";
  let value = "";
  while (r.next()) {
    if (r.field === 1) name = r.string();
    else if (r.field === 2) value = r.string();
    else r.skip();
  }
  return { name, value };
}

function _writePlatform(w: ProtoWriter, platform: Platform): void {
  w.repeatedMessage(1, platform.properties, _writeNameValue);
}

function _readPlatform(r: ProtoReader): Platform {
  const properties: PlatformProperty[] = [];
  while (r.next()) {
    if (r.field === 1) properties.push(r.message(_readNameValue));
    else r.skip();
  }
  return { properties };
}
