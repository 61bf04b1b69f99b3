#!/usr/bin/python3
"""A REAPI v2 server written for barchan's tests, and only for them.

It serves Capabilities, ContentAddressableStorage, ByteStream, ActionCache
and Execution on one port, as the remote-execution services do, and runs
each action in a fresh temporary directory built from its input root, with
N worker threads. It is not sandboxed, not scheduled, not persistent: a test
double for the services no Debian package provides.

It keeps its own CAS (files in a directory) rather than using BuildStream's
CAS server as a client: one endpoint like the real services, any instance
name (BuildStream's serves only ""), and faults it can inject into what it
serves (--corrupt-reads).

Faults and checks, for tests:
  --drop-stream       every Execute stream fails with UNAVAILABLE after its
                      first Operation (the action goes on; WaitExecution
                      follows it)
  --refuse CODE       every call fails with CODE (e.g. UNAVAILABLE)
  --corrupt-reads     blobs are served with their last byte changed
  --cut-streams       the first ByteStream Read and Write of each blob fail
                      with UNAVAILABLE after one chunk (resumed, restarted)
  --require-header N=V  calls without that metadata fail UNAUTHENTICATED
  --instance NAME     calls naming another instance fail INVALID_ARGUMENT
  --require-tool NAME calls whose RequestMetadata names another tool fail
                      INVALID_ARGUMENT

  --root DIR          keep blobs under DIR/cas (an empty directory) rather
                      than in a fresh temporary one, so that a test can
                      remove one (a server that evicted it)

Prints the port it listens on (127.0.0.1 only) as its first line of stdout.
Runs with Debian's python3-grpcio and the REAPI modules of the buildstream
package: /usr/bin/python3 test_executor.py --port 0 --workers 4
"""

import argparse
import concurrent.futures
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import grpc
from buildstream._protos.build.bazel.remote.execution.v2 import (
    remote_execution_pb2 as re_pb2,
    remote_execution_pb2_grpc as re_grpc,
)
from buildstream._protos.google.bytestream import bytestream_pb2, bytestream_pb2_grpc
from buildstream._protos.google.longrunning import operations_pb2
from buildstream._protos.google.rpc import status_pb2

CHUNK = 256 * 1024
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def digest_of(data):
    return re_pb2.Digest(hash=hashlib.sha256(data).hexdigest(), size_bytes=len(data))


class Store:
    """Blobs as files named by SHA-256 under root; action results in memory."""

    def __init__(self, root, corrupt_reads):
        self.root = root
        self.blobs = os.path.join(root, "cas")
        self.tmp = os.path.join(root, "tmp")
        os.makedirs(self.blobs)
        os.makedirs(self.tmp)
        self.corrupt_reads = corrupt_reads
        self.action_results = {}
        self.lock = threading.Lock()

    def path(self, digest):
        return os.path.join(self.blobs, digest.hash)

    def has(self, digest):
        if digest.size_bytes == 0 and digest.hash == EMPTY_SHA256:
            return True
        try:
            return os.stat(self.path(digest)).st_size == digest.size_bytes
        except FileNotFoundError:
            return False

    def put(self, data):
        digest = digest_of(data)
        with tempfile.NamedTemporaryFile(dir=self.tmp, delete=False) as out:
            out.write(data)
        os.replace(out.name, self.path(digest))
        return digest

    def put_file(self, path):
        hasher = hashlib.sha256()
        size = 0
        with open(path, "rb") as source, tempfile.NamedTemporaryFile(
            dir=self.tmp, delete=False
        ) as out:
            while True:
                chunk = source.read(CHUNK)
                if not chunk:
                    break
                hasher.update(chunk)
                size += len(chunk)
                out.write(chunk)
        digest = re_pb2.Digest(hash=hasher.hexdigest(), size_bytes=size)
        os.replace(out.name, self.path(digest))
        return digest

    def get(self, digest, served=False):
        """The blob's bytes, or None; changed when served and --corrupt-reads."""
        if digest.size_bytes == 0 and digest.hash == EMPTY_SHA256:
            return b""
        try:
            with open(self.path(digest), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return None
        if len(data) != digest.size_bytes:
            return None
        return self.corrupt(data) if served else data

    def corrupt(self, data):
        if not self.corrupt_reads or not data:
            return data
        return data[:-1] + bytes([data[-1] ^ 0xFF])


def parse_repeated_strings(data, field_number):
    """Strings of a repeated field read from a message's wire bytes (for
    Command.output_paths, field 7, newer than the module's REAPI version)."""

    def varint(pos):
        shift = value = 0
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value, pos

    values = []
    pos = 0
    while pos < len(data):
        key, pos = varint(pos)
        wire = key & 7
        if wire == 0:
            _, pos = varint(pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            length, pos = varint(pos)
            if key >> 3 == field_number:
                values.append(data[pos : pos + length].decode())
            pos += length
        else:
            raise ValueError("unsupported wire type %d" % wire)
    return values


class Job:
    def __init__(self, name, action_digest):
        self.name = name
        self.action_digest = action_digest
        self.stage = re_pb2.ExecuteOperationMetadata.QUEUED
        self.response = None
        self.changed = threading.Condition()

    def set(self, stage, response=None):
        with self.changed:
            self.stage = stage
            self.response = response
            self.changed.notify_all()

    def operation(self):
        metadata = re_pb2.ExecuteOperationMetadata(stage=self.stage, action_digest=self.action_digest)
        op = operations_pb2.Operation(name=self.name)
        op.metadata.Pack(metadata)
        if self.response is not None:
            op.done = True
            op.response.Pack(self.response)
        return op

    def updates(self):
        """Operations as the job moves, ending with the done one."""
        last = None
        while True:
            with self.changed:
                while self.stage == last and self.response is None:
                    self.changed.wait()
                last = self.stage
                op = self.operation()
            yield op
            if op.done:
                return


class Executor:
    def __init__(self, store, workers):
        self.store = store
        self.pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="worker")
        self.jobs = {}
        self.lock = threading.Lock()
        self.work = os.path.join(store.root, "work")
        os.makedirs(self.work)

    def submit(self, action_digest, skip_cache_lookup):
        job = Job(str(uuid.uuid4()), action_digest)
        with self.lock:
            self.jobs[job.name] = job
        key = (action_digest.hash, action_digest.size_bytes)
        cached = None if skip_cache_lookup else self.store.action_results.get(key)
        if cached is not None:
            result = re_pb2.ActionResult.FromString(cached)
            job.set(re_pb2.ExecuteOperationMetadata.COMPLETED, re_pb2.ExecuteResponse(result=result, cached_result=True))
        else:
            self.pool.submit(self.run, job)
        return job

    def find(self, name):
        with self.lock:
            return self.jobs.get(name)

    def run(self, job):
        job.set(re_pb2.ExecuteOperationMetadata.EXECUTING)
        try:
            response = self.execute(job.action_digest)
        except Exception as error:  # a test server reports, never dies
            response = re_pb2.ExecuteResponse(
                status=status_pb2.Status(code=grpc.StatusCode.INTERNAL.value[0], message=str(error))
            )
        job.set(re_pb2.ExecuteOperationMetadata.COMPLETED, response)

    def missing(self, what, digest):
        return re_pb2.ExecuteResponse(
            status=status_pb2.Status(
                code=grpc.StatusCode.FAILED_PRECONDITION.value[0],
                message="missing blob %s/%d (%s)" % (digest.hash, digest.size_bytes, what),
            )
        )

    def execute(self, action_digest):
        queued = time.time()
        action_bytes = self.store.get(action_digest)
        if action_bytes is None:
            return self.missing("action", action_digest)
        action = re_pb2.Action.FromString(action_bytes)
        command_bytes = self.store.get(action.command_digest)
        if command_bytes is None:
            return self.missing("command", action.command_digest)
        command = re_pb2.Command.FromString(command_bytes)
        root = tempfile.mkdtemp(dir=self.work)
        try:
            absent = self.materialize(action.input_root_digest, root)
            if absent is not None:
                return self.missing("input", absent)
            cwd = os.path.join(root, command.working_directory)
            outputs = sorted(
                set(command.output_files)
                | set(command.output_directories)
                | set(parse_repeated_strings(command_bytes, 7))
            )
            for path in outputs:
                os.makedirs(os.path.dirname(os.path.join(cwd, path)), exist_ok=True)
            env = {v.name: v.value for v in command.environment_variables}
            timeout = action.timeout.seconds + action.timeout.nanos / 1e9 or None
            started = time.time()
            try:
                done = subprocess.run(
                    list(command.arguments),
                    cwd=cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    timeout=timeout,
                )
            except subprocess.TimeoutExpired:
                return re_pb2.ExecuteResponse(
                    status=status_pb2.Status(
                        code=grpc.StatusCode.DEADLINE_EXCEEDED.value[0],
                        message="action timed out after %s s" % timeout,
                    )
                )
            except OSError as error:
                return re_pb2.ExecuteResponse(
                    status=status_pb2.Status(
                        code=grpc.StatusCode.INVALID_ARGUMENT.value[0],
                        message="cannot run %r: %s" % (list(command.arguments), error),
                    )
                )
            completed = time.time()
            result = re_pb2.ActionResult(exit_code=done.returncode)
            result.stdout_digest.CopyFrom(self.store.put(done.stdout))
            result.stderr_digest.CopyFrom(self.store.put(done.stderr))
            for path in outputs:
                full = os.path.join(cwd, path)
                if os.path.isfile(full) and not os.path.islink(full):
                    result.output_files.add(
                        path=path,
                        digest=self.store.put_file(full),
                        is_executable=os.access(full, os.X_OK),
                    )
                elif os.path.isdir(full) and not os.path.islink(full):
                    tree = re_pb2.Tree()
                    tree.root.CopyFrom(self.directory(full, tree))
                    result.output_directories.add(
                        path=path, tree_digest=self.store.put(tree.SerializeToString())
                    )
            meta = result.execution_metadata
            meta.worker = "test-executor/" + threading.current_thread().name
            meta.queued_timestamp.FromNanoseconds(int(queued * 1e9))
            meta.execution_start_timestamp.FromNanoseconds(int(started * 1e9))
            meta.execution_completed_timestamp.FromNanoseconds(int(completed * 1e9))
            if done.returncode == 0 and not action.do_not_cache:
                key = (action_digest.hash, action_digest.size_bytes)
                self.store.action_results[key] = result.SerializeToString()
            return re_pb2.ExecuteResponse(result=result)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def materialize(self, digest, path):
        """Writes the Directory `digest` at path; returns a missing digest or None."""
        data = self.store.get(digest)
        if data is None:
            return digest
        directory = re_pb2.Directory.FromString(data)
        for node in directory.files:
            content = self.store.get(node.digest)
            if content is None:
                return node.digest
            target = os.path.join(path, node.name)
            with open(target, "wb") as out:
                out.write(content)
            os.chmod(target, 0o755 if node.is_executable else 0o644)
        for node in directory.symlinks:
            os.symlink(node.target, os.path.join(path, node.name))
        for node in directory.directories:
            child = os.path.join(path, node.name)
            os.mkdir(child)
            absent = self.materialize(node.digest, child)
            if absent is not None:
                return absent
        return None

    def directory(self, path, tree):
        """The Directory message of path; its subdirectories go into tree.children."""
        directory = re_pb2.Directory()
        for name in sorted(os.listdir(path)):
            full = os.path.join(path, name)
            if os.path.islink(full):
                directory.symlinks.add(name=name, target=os.readlink(full))
            elif os.path.isdir(full):
                child = self.directory(full, tree)
                tree.children.append(child)
                directory.directories.add(name=name, digest=digest_of(child.SerializeToString()))
            else:
                directory.files.add(
                    name=name, digest=self.store.put_file(full), is_executable=os.access(full, os.X_OK)
                )
        return directory


class Options:
    def __init__(self, args):
        self.instance = args.instance
        self.max_batch = args.max_batch_bytes
        self.drop_stream = args.drop_stream
        self.cut_streams = args.cut_streams


def check_instance(options, name, context):
    if options.instance is not None and name != options.instance:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "unknown instance %r" % name)


class Capabilities(re_grpc.CapabilitiesServicer):
    def __init__(self, options):
        self.options = options

    def GetCapabilities(self, request, context):
        check_instance(self.options, request.instance_name, context)
        caps = re_pb2.ServerCapabilities()
        cache = caps.cache_capabilities
        cache.digest_function.append(re_pb2.SHA256)
        cache.action_cache_update_capabilities.update_enabled = True
        cache.cache_priority_capabilities.priorities.add(min_priority=0, max_priority=0)
        cache.max_batch_total_size_bytes = self.options.max_batch
        cache.symlink_absolute_path_strategy = re_pb2.CacheCapabilities.DISALLOWED
        execution = caps.execution_capabilities
        execution.digest_function = re_pb2.SHA256
        execution.exec_enabled = True
        execution.execution_priority_capabilities.priorities.add(min_priority=0, max_priority=0)
        for version in (caps.deprecated_api_version, caps.low_api_version, caps.high_api_version):
            version.major = 2
        return caps


class Cas(re_grpc.ContentAddressableStorageServicer):
    def __init__(self, options, store):
        self.options = options
        self.store = store

    def FindMissingBlobs(self, request, context):
        check_instance(self.options, request.instance_name, context)
        response = re_pb2.FindMissingBlobsResponse()
        for digest in request.blob_digests:
            if not self.store.has(digest):
                response.missing_blob_digests.add().CopyFrom(digest)
        return response

    def BatchUpdateBlobs(self, request, context):
        check_instance(self.options, request.instance_name, context)
        if request.ByteSize() > self.options.max_batch + 1024:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "batch over the advertised size")
        response = re_pb2.BatchUpdateBlobsResponse()
        for entry in request.requests:
            answer = response.responses.add()
            answer.digest.CopyFrom(entry.digest)
            if digest_of(entry.data) != entry.digest:
                answer.status.code = grpc.StatusCode.INVALID_ARGUMENT.value[0]
                answer.status.message = "data does not match its digest"
            else:
                self.store.put(entry.data)
        return response

    def BatchReadBlobs(self, request, context):
        check_instance(self.options, request.instance_name, context)
        if sum(d.size_bytes for d in request.digests) > self.options.max_batch:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "batch over the advertised size")
        response = re_pb2.BatchReadBlobsResponse()
        for digest in request.digests:
            answer = response.responses.add()
            answer.digest.CopyFrom(digest)
            data = self.store.get(digest, served=True)
            if data is None:
                answer.status.code = grpc.StatusCode.NOT_FOUND.value[0]
            else:
                answer.data = data
        return response


def parse_resource(options, name, context, upload):
    """The digest of `{instance}/blobs/{hash}/{size}` or, for an upload,
    `{instance}/uploads/{uuid}/blobs/{hash}/{size}[/...]`."""
    parts = name.split("/")
    try:
        at = parts.index("uploads" if upload else "blobs")
        instance = "/".join(parts[:at])
        at += 2 if upload else 0
        if parts[at] != "blobs":
            raise ValueError(name)
        digest = re_pb2.Digest(hash=parts[at + 1], size_bytes=int(parts[at + 2]))
    except (ValueError, IndexError):
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "bad resource name %r" % name)
    check_instance(options, instance, context)
    return digest


class ByteStream(bytestream_pb2_grpc.ByteStreamServicer):
    def __init__(self, options, store):
        self.options = options
        self.store = store
        self.cut = set()
        self.lock = threading.Lock()

    def first_time(self, kind, digest):
        """Whether this is the first `kind` transfer of digest (and so is cut)."""
        if not self.options.cut_streams:
            return False
        with self.lock:
            key = (kind, digest.hash)
            if key in self.cut:
                return False
            self.cut.add(key)
            return True

    def Read(self, request, context):
        digest = parse_resource(self.options, request.resource_name, context, upload=False)
        data = self.store.get(digest, served=True)
        if data is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "no blob %s/%d" % (digest.hash, digest.size_bytes))
        end = len(data) if request.read_limit == 0 else request.read_offset + request.read_limit
        cut = len(data) > CHUNK and self.first_time("read", digest)
        for start in range(request.read_offset, min(end, len(data)), CHUNK):
            yield bytestream_pb2.ReadResponse(data=data[start : min(start + CHUNK, end)])
            if cut:
                context.abort(grpc.StatusCode.UNAVAILABLE, "read cut (--cut-streams)")

    def Write(self, request_iterator, context):
        digest = None
        hasher = hashlib.sha256()
        size = 0
        with tempfile.NamedTemporaryFile(dir=self.store.tmp, delete=False) as out:
            for request in request_iterator:
                if digest is None:
                    digest = parse_resource(self.options, request.resource_name, context, upload=True)
                if request.write_offset != size:
                    context.abort(grpc.StatusCode.INVALID_ARGUMENT, "write_offset %d, expected %d" % (request.write_offset, size))
                out.write(request.data)
                hasher.update(request.data)
                size += len(request.data)
                if not request.finish_write and self.first_time("write", digest):
                    os.unlink(out.name)
                    context.abort(grpc.StatusCode.UNAVAILABLE, "write cut (--cut-streams)")
                if request.finish_write:
                    break
        if digest is None or hasher.hexdigest() != digest.hash or size != digest.size_bytes:
            os.unlink(out.name)
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "uploaded data does not match its resource name")
        os.replace(out.name, self.store.path(digest))
        return bytestream_pb2.WriteResponse(committed_size=size)


class ActionCache(re_grpc.ActionCacheServicer):
    def __init__(self, options, store):
        self.options = options
        self.store = store

    def GetActionResult(self, request, context):
        check_instance(self.options, request.instance_name, context)
        data = self.store.action_results.get((request.action_digest.hash, request.action_digest.size_bytes))
        if data is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "no action result")
        return re_pb2.ActionResult.FromString(data)

    def UpdateActionResult(self, request, context):
        check_instance(self.options, request.instance_name, context)
        key = (request.action_digest.hash, request.action_digest.size_bytes)
        self.store.action_results[key] = request.action_result.SerializeToString()
        return request.action_result


class Execution(re_grpc.ExecutionServicer):
    def __init__(self, options, executor):
        self.options = options
        self.executor = executor

    def Execute(self, request, context):
        check_instance(self.options, request.instance_name, context)
        job = self.executor.submit(request.action_digest, request.skip_cache_lookup)
        for op in job.updates():
            yield op
            if self.options.drop_stream and not op.done:
                context.abort(grpc.StatusCode.UNAVAILABLE, "stream dropped (--drop-stream)")

    def WaitExecution(self, request, context):
        job = self.executor.find(request.name)
        if job is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "no operation %r" % request.name)
        yield from job.updates()


def tool_name(metadata):
    for key, value in metadata:
        if key == "build.bazel.remote.execution.v2.requestmetadata-bin":
            return re_pb2.RequestMetadata.FromString(value).tool_details.tool_name
    return None


class Gate(grpc.ServerInterceptor):
    """Refuses every call (--refuse) or those without a header (--require-header)."""

    def __init__(self, refuse, header, tool):
        self.refuse = refuse
        self.header = header
        self.tool = tool

    def intercept_service(self, continuation, details):
        handler = continuation(details)
        if handler is None:
            return None
        if self.refuse is not None:
            code, message = self.refuse, "refused (--refuse)"
        elif self.header is not None and self.header not in tuple(details.invocation_metadata):
            code, message = grpc.StatusCode.UNAUTHENTICATED, "missing header %s" % self.header[0]
        elif self.tool is not None and self.tool != tool_name(details.invocation_metadata):
            code, message = grpc.StatusCode.INVALID_ARGUMENT, "RequestMetadata names no tool %s" % self.tool
        else:
            return handler

        def abort(request, context):
            context.abort(code, message)

        def abort_stream(request, context):
            context.abort(code, message)
            yield

        make = (
            grpc.unary_unary_rpc_method_handler
            if handler.unary_unary
            else grpc.unary_stream_rpc_method_handler
            if handler.unary_stream
            else grpc.stream_unary_rpc_method_handler
        )
        behaviour = abort_stream if handler.unary_stream else abort
        return make(behaviour, handler.request_deserializer, handler.response_serializer)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--max-batch-bytes", type=int, default=1024 * 1024)
    parser.add_argument("--instance")
    parser.add_argument("--drop-stream", action="store_true")
    parser.add_argument("--refuse")
    parser.add_argument("--corrupt-reads", action="store_true")
    parser.add_argument("--cut-streams", action="store_true")
    parser.add_argument("--require-header")
    parser.add_argument("--require-tool")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--root")
    args = parser.parse_args()

    root = args.root or tempfile.mkdtemp(prefix="barchan_test_executor_")
    store = Store(root, args.corrupt_reads)
    options = Options(args)
    refuse = getattr(grpc.StatusCode, args.refuse) if args.refuse else None
    header = tuple(args.require_header.split("=", 1)) if args.require_header else None
    server = grpc.server(
        concurrent.futures.ThreadPoolExecutor(max(32, args.workers * 4)),
        interceptors=[Gate(refuse, header, args.require_tool)],
        options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)],
    )
    re_grpc.add_CapabilitiesServicer_to_server(Capabilities(options), server)
    re_grpc.add_ContentAddressableStorageServicer_to_server(Cas(options, store), server)
    bytestream_pb2_grpc.add_ByteStreamServicer_to_server(ByteStream(options, store), server)
    re_grpc.add_ActionCacheServicer_to_server(ActionCache(options, store), server)
    re_grpc.add_ExecutionServicer_to_server(Execution(options, Executor(store, args.workers)), server)
    address = "127.0.0.1:%d" % args.port
    if args.tls_cert:
        with open(args.tls_key, "rb") as key, open(args.tls_cert, "rb") as cert:
            credentials = grpc.ssl_server_credentials([(key.read(), cert.read())])
        port = server.add_secure_port(address, credentials)
    else:
        port = server.add_insecure_port(address)
    server.start()
    print(port, flush=True)

    def stop(*_):
        server.stop(0)
        shutil.rmtree(root, ignore_errors=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
