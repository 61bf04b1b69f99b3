// Loads @grpc/grpc-js on first use: importing it costs tens of milliseconds,
// paid only by builds that name a grpc:// or grpcs:// endpoint.

/** The gRPC library's module type. */
export type Grpc = typeof import("npm:@grpc/grpc-js@1.14.7");

let _loading: Promise<Grpc> | undefined;

/** Imports the pinned @grpc/grpc-js once; later calls share the import. */
export function loadGrpc(): Promise<Grpc> {
  _loading ??= import("npm:@grpc/grpc-js@1.14.7");
  return _loading;
}
