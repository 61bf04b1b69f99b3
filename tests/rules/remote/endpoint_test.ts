// Endpoint and header parsing.

import assert from "node:assert/strict";
import { isGrpcEndpoint, parseEndpoint } from "../../../rules/remote/endpoint.ts";
import { parseRemoteHeaders } from "../../../rules/remote/headers.ts";

Deno.test("parseEndpoint() takes grpc:// and grpcs:// with host and port, IPv6 included", () => {
  assert.deepEqual(parseEndpoint("grpcs://[::1]:8443/"), {
    url: "grpcs://[::1]:8443",
    tls: true,
    host: "[::1]",
    port: 8443,
    address: "[::1]:8443",
  });
  assert.equal(parseEndpoint("GRPC://build.example.com:1985").address, "build.example.com:1985");
  for (const bad of ["grpc://host", "grpc://host:0", "grpc://host:8980/path", "host:8980", ""]) {
    assert.throws(() => parseEndpoint(bad), TypeError, bad);
  }
  assert.equal(isGrpcEndpoint("http://cache:8080"), false);
});

Deno.test("parseRemoteHeaders() reads the HTTP cache's Name=value,Other=value syntax", () => {
  assert.deepEqual(parseRemoteHeaders(undefined), []);
  assert.deepEqual(parseRemoteHeaders(" , "), []);
  assert.deepEqual(parseRemoteHeaders("A=1,b = x=y "), [["a", "1"], ["b", "x=y"]]);
  assert.throws(() => parseRemoteHeaders("=v"), /Cannot parse remote header "=v"/);
  assert.throws(() => parseRemoteHeaders("a b=c"), TypeError);
});
