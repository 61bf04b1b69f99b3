"""Builds REAPI messages with protobuf's Python implementation, for the tests
of rules/reapi to compare bytes with.

The message classes come from the descriptors of the REAPI modules Debian's
buildstream package ships. Those date from REAPI v2.0, so the fields added
since (Action.salt and .platform, Command.output_paths, OutputSymlink,
ExecutedActionMetadata.auxiliary_metadata, compressors, digest functions...)
are added to a copy of the descriptors here, with the field numbers of
build/bazel/remote/execution/v2/remote_execution.proto. Fields whose type is
an enum that v2.0 lacks (Compressor, DigestFunction.Value in new places) are
declared int32, which protobuf encodes the same way.

Usage:
  python3 _reapi_py.py samples        prints {name: hex} of every sample
  python3 _reapi_py.py decode         reads {name: hex} on stdin, parses each
                                      and prints {name: hex} re-serialised
  python3 _reapi_py.py input_root     reads [{path, hash, size, executable}]
                                      on stdin, prints the input root
  python3 _reapi_py.py action         reads an action spec on stdin, prints
                                      the Command, Action and their digests
"""

import hashlib
import json
import sys

sys.path.insert(0, "/usr/lib/python3/dist-packages")

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory  # noqa: E402

from buildstream._protos.build.bazel.remote.execution.v2 import remote_execution_pb2  # noqa: E402
from buildstream._protos.google.bytestream import bytestream_pb2  # noqa: E402
from buildstream._protos.google.longrunning import operations_pb2  # noqa: E402
from buildstream._protos.google.rpc import status_pb2  # noqa: E402
from google.protobuf import any_pb2  # noqa: E402

F = descriptor_pb2.FieldDescriptorProto
REPEATED = F.LABEL_REPEATED
OPTIONAL = F.LABEL_OPTIONAL
PKG = ".build.bazel.remote.execution.v2."

# (message path, field name, number, type, label, type name)
ADDED_FIELDS = [
    ("Action", "salt", 9, F.TYPE_BYTES, OPTIONAL, None),
    ("Action", "platform", 10, F.TYPE_MESSAGE, OPTIONAL, PKG + "Platform"),
    ("Command", "output_paths", 7, F.TYPE_STRING, REPEATED, None),
    ("ExecutedActionMetadata", "auxiliary_metadata", 11, F.TYPE_MESSAGE, REPEATED,
     ".google.protobuf.Any"),
    ("ExecutedActionMetadata", "virtual_execution_duration", 12, F.TYPE_MESSAGE, OPTIONAL,
     ".google.protobuf.Duration"),
    ("ActionResult", "output_file_symlinks", 10, F.TYPE_MESSAGE, REPEATED, PKG + "OutputSymlink"),
    ("ActionResult", "output_directory_symlinks", 11, F.TYPE_MESSAGE, REPEATED,
     PKG + "OutputSymlink"),
    ("ActionResult", "output_symlinks", 12, F.TYPE_MESSAGE, REPEATED, PKG + "OutputSymlink"),
    ("OutputFile", "contents", 5, F.TYPE_BYTES, OPTIONAL, None),
    ("OutputDirectory", "is_topologically_sorted", 4, F.TYPE_BOOL, OPTIONAL, None),
    ("OutputDirectory", "root_directory_digest", 5, F.TYPE_MESSAGE, OPTIONAL, PKG + "Digest"),
    ("ExecuteRequest", "digest_function", 9, F.TYPE_INT32, OPTIONAL, None),
    ("ExecuteRequest", "inline_stdout", 10, F.TYPE_BOOL, OPTIONAL, None),
    ("ExecuteRequest", "inline_stderr", 11, F.TYPE_BOOL, OPTIONAL, None),
    ("ExecuteRequest", "inline_output_files", 12, F.TYPE_STRING, REPEATED, None),
    ("ExecuteResponse", "message", 5, F.TYPE_STRING, OPTIONAL, None),
    ("ExecuteOperationMetadata", "partial_execution_metadata", 5, F.TYPE_MESSAGE, OPTIONAL,
     PKG + "ExecutedActionMetadata"),
    ("ExecuteOperationMetadata", "digest_function", 6, F.TYPE_INT32, OPTIONAL, None),
    ("GetActionResultRequest", "inline_stdout", 3, F.TYPE_BOOL, OPTIONAL, None),
    ("GetActionResultRequest", "inline_stderr", 4, F.TYPE_BOOL, OPTIONAL, None),
    ("GetActionResultRequest", "inline_output_files", 5, F.TYPE_STRING, REPEATED, None),
    ("GetActionResultRequest", "digest_function", 6, F.TYPE_INT32, OPTIONAL, None),
    ("UpdateActionResultRequest", "digest_function", 5, F.TYPE_INT32, OPTIONAL, None),
    ("FindMissingBlobsRequest", "digest_function", 3, F.TYPE_INT32, OPTIONAL, None),
    ("BatchUpdateBlobsRequest", "digest_function", 5, F.TYPE_INT32, OPTIONAL, None),
    ("BatchUpdateBlobsRequest.Request", "compressor", 3, F.TYPE_INT32, OPTIONAL, None),
    ("BatchReadBlobsRequest", "acceptable_compressors", 3, F.TYPE_INT32, REPEATED, None),
    ("BatchReadBlobsRequest", "digest_function", 4, F.TYPE_INT32, OPTIONAL, None),
    ("BatchReadBlobsResponse.Response", "compressor", 4, F.TYPE_INT32, OPTIONAL, None),
    ("GetTreeRequest", "digest_function", 5, F.TYPE_INT32, OPTIONAL, None),
    ("CacheCapabilities", "supported_compressors", 6, F.TYPE_INT32, REPEATED, None),
    ("CacheCapabilities", "supported_batch_update_compressors", 7, F.TYPE_INT32, REPEATED,
     None),
    ("CacheCapabilities", "max_cas_blob_size_bytes", 8, F.TYPE_INT64, OPTIONAL, None),
    ("ExecutionCapabilities", "supported_node_properties", 4, F.TYPE_STRING, REPEATED, None),
    ("ExecutionCapabilities", "digest_functions", 5, F.TYPE_INT32, REPEATED, None),
    ("RequestMetadata", "action_mnemonic", 5, F.TYPE_STRING, OPTIONAL, None),
    ("RequestMetadata", "target_id", 6, F.TYPE_STRING, OPTIONAL, None),
    ("RequestMetadata", "configuration_id", 7, F.TYPE_STRING, OPTIONAL, None),
]


def _patch_remote_execution(proto):
    """Adds the fields and messages REAPI gained after the shipped v2.0."""
    if "google/protobuf/any.proto" not in proto.dependency:
        proto.dependency.append("google/protobuf/any.proto")
    symlink = proto.message_type.add(name="OutputSymlink")
    symlink.field.add(name="path", number=1, type=F.TYPE_STRING, label=OPTIONAL,
                      json_name="path")
    symlink.field.add(name="target", number=2, type=F.TYPE_STRING, label=OPTIONAL,
                      json_name="target")
    messages = {}

    def index(prefix, message_types):
        for m in message_types:
            messages[prefix + m.name] = m
            index(prefix + m.name + ".", m.nested_type)

    index("", proto.message_type)
    for path, name, number, type_, label, type_name in ADDED_FIELDS:
        message = messages[path]
        assert all(f.number != number for f in message.field), (path, number)
        field = message.field.add(name=name, number=number, type=type_, label=label,
                                  json_name=name)
        if type_name:
            field.type_name = type_name


def _build_pool():
    pool = descriptor_pool.DescriptorPool()
    added = set()

    def add(file_descriptor, patch=None):
        if file_descriptor.name in added:
            return
        for dependency in file_descriptor.dependencies:
            add(dependency)
        if patch is not None:
            add(any_pb2.DESCRIPTOR)
        proto = descriptor_pb2.FileDescriptorProto()
        file_descriptor.CopyToProto(proto)
        if patch is not None:
            patch(proto)
        pool.Add(proto)
        added.add(file_descriptor.name)

    add(remote_execution_pb2.DESCRIPTOR, _patch_remote_execution)
    add(bytestream_pb2.DESCRIPTOR)
    add(status_pb2.DESCRIPTOR)
    add(operations_pb2.DESCRIPTOR)
    return pool


POOL = _build_pool()
_FACTORY = message_factory.MessageFactory(POOL)


def message_class(full_name):
    return _FACTORY.GetPrototype(POOL.FindMessageTypeByName(full_name))


class _Namespace:
    def __init__(self, package):
        self._package = package

    def __getattr__(self, name):
        return message_class(self._package + name)


re = _Namespace("build.bazel.remote.execution.v2.")
bs = _Namespace("google.bytestream.")
rpc = _Namespace("google.rpc.")
lro = _Namespace("google.longrunning.")
pb = _Namespace("google.protobuf.")
semver = _Namespace("build.bazel.semver.")


def serialize(message):
    return message.SerializeToString(deterministic=True)


def digest(d, hash_, size):
    d.hash = hash_
    d.size_bytes = size
    return d


# The same values as tests/rules/reapi/_samples.ts.
H1 = "1" * 64
H2 = "2b" * 32
H3 = "c0ffee" * 10 + "abcd"
D1 = (H1, 142)
D2 = (H2, int(2.5 * 2**30))
D3 = (H3, 2**53 - 1)
EMPTY = ("", 0)


def set_digest(d, value):
    return digest(d, *value)


def fill_any(a, type_url, value):
    a.type_url = type_url
    a.value = value
    return a


def fill_any_sample(a):
    return fill_any(a, "type.googleapis.com/build.bazel.remote.execution.v2.Digest",
                    bytes([0x0A, 0x02, 0x61, 0x62, 0x10, 0x03]))


def fill_any_empty(a):
    return fill_any(a, "type.googleapis.com/x.Empty", b"")


def fill_status(s):
    s.code = 5
    s.message = "Blob not found: é ☃ 😀"
    fill_any_sample(s.details.add())
    fill_any_empty(s.details.add())
    return s


def fill_platform(p):
    for name, value in [("ISA", "x86-64"), ("OSFamily", "linux"), ("container-image", "")]:
        prop = p.properties.add()
        prop.name = name
        prop.value = value
    return p


def fill_timestamp(t, seconds, nanos):
    t.seconds = seconds
    t.nanos = nanos
    t.SetInParent()


def fill_metadata(m):
    m.worker = "worker-7"
    fill_timestamp(m.queued_timestamp, 1735689600, 1)
    fill_timestamp(m.worker_start_timestamp, 1735689601, 0)
    fill_timestamp(m.worker_completed_timestamp, 1735689609, 999999999)
    fill_timestamp(m.input_fetch_start_timestamp, 0, 0)
    fill_timestamp(m.input_fetch_completed_timestamp, 1735689602, 5)
    fill_timestamp(m.execution_start_timestamp, 1735689603, 6)
    fill_timestamp(m.execution_completed_timestamp, 253402300799, 7)
    fill_timestamp(m.virtual_execution_duration, 4, 500000000)
    fill_timestamp(m.output_upload_start_timestamp, 1735689608, 8)
    fill_timestamp(m.output_upload_completed_timestamp, 1735689609, 9)
    fill_any_sample(m.auxiliary_metadata.add())
    fill_any_empty(m.auxiliary_metadata.add())
    return m


def fill_result(r):
    f = r.output_files.add()
    f.path = "out/a.o"
    set_digest(f.digest, D1)
    f = r.output_files.add()
    f.path = "bin/tool"
    set_digest(f.digest, D2)
    f.is_executable = True
    f.contents = b"#!/bin/sh\n"
    f = r.output_files.add()
    f.path = "empty"
    f.digest.SetInParent()
    d = r.output_directories.add()
    d.path = "dist"
    set_digest(d.tree_digest, D1)
    d = r.output_directories.add()
    d.path = "gen"
    set_digest(d.tree_digest, D2)
    d.is_topologically_sorted = True
    set_digest(d.root_directory_digest, D3)
    r.exit_code = 137
    s = r.output_symlinks.add()
    s.path = "lib/libz.so"
    s.target = "libz.so.1"
    s = r.output_file_symlinks.add()
    s.path = "f"
    s.target = "/abs/f"
    s = r.output_directory_symlinks.add()
    s.path = "d"
    s.target = "../d"
    r.stdout_raw = b"compiled\n"
    set_digest(r.stdout_digest, D1)
    r.stderr_raw = bytes([0, 255, 10])
    set_digest(r.stderr_digest, D3)
    fill_metadata(r.execution_metadata)
    return r


def fill_directory(d):
    for name, value, executable in [("a.c", D1, False), ("configure", D2, True),
                                    ("empty", (H3, 0), False)]:
        f = d.files.add()
        f.name = name
        set_digest(f.digest, value)
        f.is_executable = executable
    for name, value in [("include", D3), ("src", EMPTY)]:
        n = d.directories.add()
        n.name = name
        set_digest(n.digest, value)
        n.digest.SetInParent()
    for name, target in [("latest", "src"), ("ünï", "/abs/😀")]:
        s = d.symlinks.add()
        s.name = name
        s.target = target
    return d


def samples():
    out = {}

    def put(name, message):
        out[name] = serialize(message).hex()

    put("any", fill_any_sample(pb.Any()))
    put("any_empty", fill_any_empty(pb.Any()))
    put("duration", pb.Duration(seconds=3600, nanos=500000000))
    put("duration_negative", pb.Duration(seconds=-5, nanos=-250000000))
    put("timestamp", pb.Timestamp(seconds=253402300799, nanos=123456789))
    put("status", fill_status(rpc.Status()))
    put("status_ok", rpc.Status())

    op = lro.Operation(name="operations/0f3a")
    meta = re.ExecuteOperationMetadata(stage=3)
    set_digest(meta.action_digest, D1)
    fill_any(op.metadata,
             "type.googleapis.com/build.bazel.remote.execution.v2.ExecuteOperationMetadata",
             serialize(meta))
    put("operation_running", op)

    op = lro.Operation(name="op", done=True)
    fill_status(op.error)
    put("operation_error", op)

    op = lro.Operation(name="op", done=True)
    fill_any_empty(op.metadata)
    response = re.ExecuteResponse(cached_result=True)
    fill_result(response.result)
    fill_any(op.response, "type.googleapis.com/build.bazel.remote.execution.v2.ExecuteResponse",
             serialize(response))
    put("operation_response", op)

    put("digest", set_digest(re.Digest(), D2))
    put("digest_max", set_digest(re.Digest(), D3))
    put("digest_empty", re.Digest())
    put("platform", fill_platform(re.Platform()))

    c = re.Command()
    c.arguments.extend(["/bin/sh", "-c", 'echo "$GREETING" > out/ünï.txt', ""])
    for name, value in [("EMPTY", ""), ("GREETING", "héllo 😀"), ("PATH", "/usr/bin:/bin")]:
        v = c.environment_variables.add()
        v.name = name
        v.value = value
    c.output_paths.extend(["out/a.txt", "out/ünï.txt"])
    c.working_directory = "sub/dir"
    fill_platform(c.platform)
    c.output_files.extend(["out/a.txt"])
    c.output_directories.extend(["out/d", ""])
    put("command", c)
    put("command_minimal", re.Command(arguments=["true"]))

    a = re.Action()
    set_digest(a.command_digest, D1)
    set_digest(a.input_root_digest, D2)
    a.timeout.seconds = 1
    a.timeout.nanos = 500000000
    a.do_not_cache = True
    a.salt = bytes([0, 1, 0xFE, 0xFF])
    fill_platform(a.platform)
    put("action", a)
    a = re.Action()
    set_digest(a.command_digest, D1)
    a.input_root_digest.SetInParent()
    put("action_minimal", a)

    put("directory", fill_directory(re.Directory()))
    put("directory_empty", re.Directory())
    t = re.Tree()
    fill_directory(t.root)
    t.children.add()
    fill_directory(t.children.add())
    put("tree", t)
    put("action_result", fill_result(re.ActionResult()))
    put("action_result_failed", re.ActionResult(exit_code=-1))
    put("executed_action_metadata", fill_metadata(re.ExecutedActionMetadata()))

    m = re.FindMissingBlobsRequest(instance_name="main", digest_function=1)
    for value in (D1, D2):
        set_digest(m.blob_digests.add(), value)
    m.blob_digests.add()
    put("find_missing_blobs_request", m)
    m = re.FindMissingBlobsResponse()
    for value in (D3, D1):
        set_digest(m.missing_blob_digests.add(), value)
    put("find_missing_blobs_response", m)

    m = re.BatchUpdateBlobsRequest(instance_name="main", digest_function=1)
    e = m.requests.add()
    set_digest(e.digest, D1)
    e.data = b"hello"
    e = m.requests.add()
    set_digest(e.digest, D2)
    e.data = bytes([7] * 300)
    e.compressor = 1
    e = m.requests.add()
    e.digest.SetInParent()
    put("batch_update_blobs_request", m)
    m = re.BatchUpdateBlobsResponse()
    e = m.responses.add()
    set_digest(e.digest, D1)
    e.status.SetInParent()
    e = m.responses.add()
    set_digest(e.digest, D2)
    fill_status(e.status)
    e = m.responses.add()
    set_digest(e.digest, D3)
    put("batch_update_blobs_response", m)

    m = re.BatchReadBlobsRequest(instance_name="main", digest_function=1)
    set_digest(m.digests.add(), D1)
    set_digest(m.digests.add(), D2)
    m.acceptable_compressors.extend([1, 3])
    put("batch_read_blobs_request", m)
    m = re.BatchReadBlobsResponse()
    e = m.responses.add()
    set_digest(e.digest, D1)
    e.data = b"hello"
    e.status.SetInParent()
    e = m.responses.add()
    set_digest(e.digest, D2)
    e.status.code = 5
    e.status.message = "missing"
    e = m.responses.add()
    set_digest(e.digest, D3)
    e.data = bytes([1, 2, 3])
    e.compressor = 1
    put("batch_read_blobs_response", m)

    m = re.GetTreeRequest(instance_name="main", page_size=1000, page_token="next",
                          digest_function=1)
    set_digest(m.root_digest, D1)
    put("get_tree_request", m)
    m = re.GetTreeResponse(next_page_token="page-2")
    fill_directory(m.directories.add())
    m.directories.add()
    put("get_tree_response", m)

    m = re.GetActionResultRequest(instance_name="main", inline_stdout=True, inline_stderr=True,
                                  digest_function=1)
    set_digest(m.action_digest, D1)
    m.inline_output_files.extend(["out/a.o", "bin/tool"])
    put("get_action_result_request", m)
    m = re.UpdateActionResultRequest(instance_name="main", digest_function=1)
    set_digest(m.action_digest, D1)
    fill_result(m.action_result)
    m.results_cache_policy.priority = -3
    put("update_action_result_request", m)

    m = re.ExecuteRequest(instance_name="main", skip_cache_lookup=True, digest_function=1,
                          inline_stdout=True, inline_stderr=True)
    set_digest(m.action_digest, D1)
    m.execution_policy.priority = 2
    m.results_cache_policy.SetInParent()
    m.inline_output_files.extend(["out/a.o"])
    put("execute_request", m)
    put("wait_execution_request", re.WaitExecutionRequest(name="operations/0f3a"))
    m = re.ExecuteResponse(cached_result=True, message="Ran on worker-7")
    fill_result(m.result)
    fill_status(m.status)
    set_digest(m.server_logs["z.log"].digest, D1)
    m.server_logs["z.log"].human_readable = True
    set_digest(m.server_logs["a.log"].digest, D2)
    set_digest(m.server_logs["é.log"].digest, D3)
    put("execute_response", m)
    m = re.ExecuteOperationMetadata(stage=4, stdout_stream_name="logs/out",
                                    stderr_stream_name="logs/err", digest_function=1)
    set_digest(m.action_digest, D1)
    m.partial_execution_metadata.worker = "worker-7"
    put("execute_operation_metadata", m)

    put("get_capabilities_request", re.GetCapabilitiesRequest(instance_name="main"))
    m = re.ServerCapabilities()
    cache = m.cache_capabilities
    cache.digest_function.extend([1, 2, 9])
    cache.action_cache_update_capabilities.update_enabled = True
    r = cache.cache_priority_capabilities.priorities.add()
    r.min_priority = -10
    r.max_priority = 10
    cache.max_batch_total_size_bytes = 4 * 1024 * 1024
    cache.symlink_absolute_path_strategy = 1
    cache.supported_compressors.extend([1, 2])
    cache.supported_batch_update_compressors.extend([1])
    cache.max_cas_blob_size_bytes = 2**40
    execution = m.execution_capabilities
    execution.digest_function = 1
    execution.exec_enabled = True
    execution.execution_priority_capabilities.priorities.add()
    r = execution.execution_priority_capabilities.priorities.add()
    r.min_priority = 1
    r.max_priority = 5
    execution.supported_node_properties.extend(["mtime", "unix_mode"])
    execution.digest_functions.extend([1, 8])
    m.deprecated_api_version.major = 1
    m.deprecated_api_version.prerelease = "beta"
    m.low_api_version.major = 2
    m.high_api_version.major = 2
    m.high_api_version.minor = 3
    m.high_api_version.patch = 1
    put("server_capabilities", m)

    m = re.RequestMetadata(action_id=H1, tool_invocation_id="5d3c1f9e-build",
                           correlated_invocations_id="ci-1234", action_mnemonic="CC",
                           target_id="out/a.o", configuration_id="default")
    m.tool_details.tool_name = "barchan"
    m.tool_details.tool_version = "0.1.0"
    put("request_metadata", m)

    resource = "main/blobs/" + H2 + "/2684354560"
    put("read_request", bs.ReadRequest(resource_name=resource, read_offset=2**32,
                                       read_limit=1 << 20))
    put("read_response", bs.ReadResponse(data=bytes([0xAB] * 200)))
    upload = "main/uploads/u-1/blobs/" + H2 + "/2684354560"
    put("write_request", bs.WriteRequest(resource_name=upload, write_offset=2**31,
                                         finish_write=True, data=b"last chunk"))
    put("write_response", bs.WriteResponse(committed_size=int(2.5 * 2**30)))
    put("query_write_status_request", bs.QueryWriteStatusRequest(resource_name=upload))
    put("query_write_status_response",
        bs.QueryWriteStatusResponse(committed_size=1 << 20, complete=True))
    return out


# Which Python class parses which sample, for `decode`.
SAMPLE_TYPES = {
    "any": "google.protobuf.Any",
    "duration": "google.protobuf.Duration",
    "timestamp": "google.protobuf.Timestamp",
    "status": "google.rpc.Status",
    "operation": "google.longrunning.Operation",
    "digest": "build.bazel.remote.execution.v2.Digest",
    "platform": "build.bazel.remote.execution.v2.Platform",
    "command": "build.bazel.remote.execution.v2.Command",
    "action": "build.bazel.remote.execution.v2.Action",
    "directory": "build.bazel.remote.execution.v2.Directory",
    "tree": "build.bazel.remote.execution.v2.Tree",
    "action_result": "build.bazel.remote.execution.v2.ActionResult",
    "executed_action_metadata": "build.bazel.remote.execution.v2.ExecutedActionMetadata",
    "find_missing_blobs_request": "build.bazel.remote.execution.v2.FindMissingBlobsRequest",
    "find_missing_blobs_response": "build.bazel.remote.execution.v2.FindMissingBlobsResponse",
    "batch_update_blobs_request": "build.bazel.remote.execution.v2.BatchUpdateBlobsRequest",
    "batch_update_blobs_response": "build.bazel.remote.execution.v2.BatchUpdateBlobsResponse",
    "batch_read_blobs_request": "build.bazel.remote.execution.v2.BatchReadBlobsRequest",
    "batch_read_blobs_response": "build.bazel.remote.execution.v2.BatchReadBlobsResponse",
    "get_tree_request": "build.bazel.remote.execution.v2.GetTreeRequest",
    "get_tree_response": "build.bazel.remote.execution.v2.GetTreeResponse",
    "get_action_result_request": "build.bazel.remote.execution.v2.GetActionResultRequest",
    "update_action_result_request": "build.bazel.remote.execution.v2.UpdateActionResultRequest",
    "execute_request": "build.bazel.remote.execution.v2.ExecuteRequest",
    "wait_execution_request": "build.bazel.remote.execution.v2.WaitExecutionRequest",
    "execute_response": "build.bazel.remote.execution.v2.ExecuteResponse",
    "execute_operation_metadata": "build.bazel.remote.execution.v2.ExecuteOperationMetadata",
    "get_capabilities_request": "build.bazel.remote.execution.v2.GetCapabilitiesRequest",
    "server_capabilities": "build.bazel.remote.execution.v2.ServerCapabilities",
    "request_metadata": "build.bazel.remote.execution.v2.RequestMetadata",
    "read_request": "google.bytestream.ReadRequest",
    "read_response": "google.bytestream.ReadResponse",
    "write_request": "google.bytestream.WriteRequest",
    "write_response": "google.bytestream.WriteResponse",
    "query_write_status_request": "google.bytestream.QueryWriteStatusRequest",
    "query_write_status_response": "google.bytestream.QueryWriteStatusResponse",
}


def sample_type(name):
    """The message type of a sample: its name, or its name less a suffix."""
    while name not in SAMPLE_TYPES:
        name = name.rsplit("_", 1)[0]
    return SAMPLE_TYPES[name]


def decode(encoded):
    """Parses each message and serialises it again: the canonical bytes, and
    a check that every field was known (unknown fields would be listed)."""
    out = {}
    for name, hex_ in encoded.items():
        message = message_class(sample_type(name))()
        message.ParseFromString(bytes.fromhex(hex_))
        unknown = _unknown_fields(message)
        if unknown:
            raise SystemExit(f"{name}: fields unknown to Python: {unknown}")
        out[name] = serialize(message).hex()
    return out


def _unknown_fields(message, path=""):
    found = []
    if message.UnknownFields() and len(message.UnknownFields()) > 0:
        found.append(path or "(top)")
    for field, value in message.ListFields():
        if field.type != F.TYPE_MESSAGE:
            continue
        if field.message_type.GetOptions().map_entry:
            for key in value:
                found += _unknown_fields(value[key], f"{path}{field.name}[{key}].")
        elif field.label == REPEATED:
            for i, item in enumerate(value):
                found += _unknown_fields(item, f"{path}{field.name}[{i}].")
        else:
            found += _unknown_fields(value, f"{path}{field.name}.")
    return found


def input_root(files, directories=()):
    """The input root over files, built the simple way: a dict per directory,
    every level sorted by name (Python compares str by code point)."""
    tree = {}

    def node(path):
        current = tree
        for part in path:
            current = current.setdefault(part, {})
            assert isinstance(current, dict), path
        return current

    for f in files:
        parts = f["path"].split("/")
        parent = node(parts[:-1])
        parent[parts[-1]] = (f["hash"], f["size"], f["executable"])
    for d in directories:
        node(d.split("/"))

    blobs = {}

    def encode(entries):
        directory = re.Directory()
        for name in sorted(entries):
            value = entries[name]
            if isinstance(value, dict):
                continue
            f = directory.files.add()
            f.name = name
            set_digest(f.digest, value[:2])
            f.is_executable = value[2]
        for name in sorted(entries):
            value = entries[name]
            if not isinstance(value, dict):
                continue
            d = directory.directories.add()
            d.name = name
            d.digest.CopyFrom(encode(value))
        data = serialize(directory)
        h = hashlib.sha256(data).hexdigest()
        blobs[h] = data.hex()
        return set_digest(re.Digest(), (h, len(data)))

    root = encode(tree)
    return {"root": {"hash": root.hash, "sizeBytes": root.size_bytes}, "directories": blobs}


def action(spec):
    """The Command and Action for a spec, sorted as REAPI asks."""
    command = re.Command()
    command.arguments.extend(spec["arguments"])
    for name in sorted(spec.get("environment", {})):
        v = command.environment_variables.add()
        v.name = name
        v.value = spec["environment"][name]
    command.output_paths.extend(sorted(set(spec.get("outputPaths", []))))
    command.working_directory = spec.get("workingDirectory", "")
    properties = sorted((p["name"], p["value"]) for p in spec.get("platform", []))
    if properties:
        for name, value in properties:
            p = command.platform.properties.add()
            p.name = name
            p.value = value
    command_bytes = serialize(command)
    directories = [spec["workingDirectory"]] if spec.get("workingDirectory") else []
    root = input_root(spec.get("inputs", []), directories)["root"]
    a = re.Action()
    set_digest(a.command_digest, (hashlib.sha256(command_bytes).hexdigest(), len(command_bytes)))
    set_digest(a.input_root_digest, (root["hash"], root["sizeBytes"]))
    if spec.get("timeoutMs"):
        ms = spec["timeoutMs"]
        a.timeout.seconds = ms // 1000
        a.timeout.nanos = (ms % 1000) * 1000000
    if spec.get("doNotCache"):
        a.do_not_cache = True
    if spec.get("salt"):
        a.salt = spec["salt"].encode()
    if properties:
        a.platform.CopyFrom(command.platform)
    action_bytes = serialize(a)
    return {
        "command": command_bytes.hex(),
        "action": action_bytes.hex(),
        "actionDigest": {"hash": hashlib.sha256(action_bytes).hexdigest(),
                         "sizeBytes": len(action_bytes)},
    }


def main():
    mode = sys.argv[1]
    if mode == "samples":
        result = samples()
    elif mode == "decode":
        result = decode(json.load(sys.stdin))
    elif mode == "input_root":
        request = json.load(sys.stdin)
        result = input_root(request["files"], request.get("directories", []))
    elif mode == "action":
        result = action(json.load(sys.stdin))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
