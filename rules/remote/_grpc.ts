// Loads @grpc/grpc-js on first use: importing it costs tens of milliseconds,
// paid only by builds that name a grpc:// or grpcs:// endpoint.
//
// The interfaces below are the part of grpc-js this folder calls, written
// out so that its types (and @types/node behind them) stay out of the
// public API and of `deno doc`.

/** A gRPC status as grpc-js reports a failed call. */
export interface GrpcStatus {
  code: number;
  details?: string;
  message?: string;
}

/** grpc-js `Metadata`. */
export interface GrpcMetadata {
  add(key: string, value: string | Uint8Array): void;
  set(key: string, value: string | Uint8Array): void;
  clone(): GrpcMetadata;
}

/** A server stream: its messages, and a way to stop it. */
export interface GrpcReadable extends AsyncIterable<Uint8Array> {
  cancel(): void;
}

/** A client stream: Node's writable with gRPC's cancel. */
export interface GrpcWritable {
  write(message: Uint8Array): boolean;
  end(): void;
  cancel(): void;
  once(event: "drain", listener: () => void): void;
}

type _Serialize = (value: Uint8Array) => Uint8Array;
type _Deserialize = (buffer: Uint8Array) => Uint8Array;
type _Callback = (error: GrpcStatus | null, value?: Uint8Array) => void;

/** grpc-js `Client`, with the three call shapes REAPI uses. */
export interface GrpcClient {
  makeUnaryRequest(
    method: string,
    serialize: _Serialize,
    deserialize: _Deserialize,
    argument: Uint8Array,
    metadata: GrpcMetadata,
    options: { deadline: number },
    callback: _Callback,
  ): unknown;
  makeServerStreamRequest(
    method: string,
    serialize: _Serialize,
    deserialize: _Deserialize,
    argument: Uint8Array,
    metadata: GrpcMetadata,
    options: { deadline: number },
  ): GrpcReadable;
  makeClientStreamRequest(
    method: string,
    serialize: _Serialize,
    deserialize: _Deserialize,
    metadata: GrpcMetadata,
    options: { deadline: number },
    callback: _Callback,
  ): GrpcWritable;
  close(): void;
}

/** The grpc-js module. */
export interface Grpc {
  credentials: {
    createInsecure(): unknown;
    createSsl(rootCerts?: Uint8Array | null): unknown;
  };
  Client: new (
    address: string,
    credentials: unknown,
    options: Record<string, number>,
  ) => GrpcClient;
  Metadata: new () => GrpcMetadata;
}

let _loading: Promise<Grpc> | undefined;

/** Imports the pinned @grpc/grpc-js once; later calls share the import. */
export function loadGrpc(): Promise<Grpc> {
  _loading ??= import("npm:@grpc/grpc-js@1.14.7") as Promise<unknown> as Promise<Grpc>;
  return _loading;
}
