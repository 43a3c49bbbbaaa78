"""Streams an answer from a Manifold gateway over gRPC with the generated
Python client (gen/python), using Debian's python3-grpcio and
python3-protobuf. The messages import buf/validate/validate_pb2, which is
generated from protovalidate's module and not committed: `make generate`
(or `make test`) writes it under gen/python first.

    make generate
    PYTHONPATH=gen/python /usr/bin/python3 examples/python/stream.py \
        --server localhost:8080 "Hello, Manifold!"

MANIFOLD_API_KEY, when set, is sent as the bearer token of a virtual key.
"""

import argparse
import os
import sys

import grpc

from manifold.mcp.v1 import mcp_pb2
from manifold.router.v1 import router_pb2, router_pb2_grpc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="localhost:8080",
                        help="the gateway's host:port (gRPC over HTTP/2 without TLS)")
    parser.add_argument("--model", default="demo", help="model or route alias")
    parser.add_argument("prompt", nargs="*", help="what to ask")
    args = parser.parse_args()
    prompt = " ".join(args.prompt) or "Hello, Manifold!"

    metadata = []
    api_key = os.environ.get("MANIFOLD_API_KEY")
    if api_key:
        metadata.append(("authorization", f"Bearer {api_key}"))

    request = router_pb2.GenerateStreamRequest(request=mcp_pb2.Request(
        model=args.model,
        messages=[mcp_pb2.Message(
            role=mcp_pb2.ROLE_USER,
            content=[mcp_pb2.ContentPart(text=prompt)],
        )],
    ))

    pieces = 0
    usage = mcp_pb2.Usage()
    finish = mcp_pb2.FINISH_REASON_UNSPECIFIED
    with grpc.insecure_channel(args.server) as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        try:
            for response in stub.GenerateStream(request, metadata=metadata, timeout=120):
                event = response.event
                kind = event.WhichOneof("event")
                if kind == "text_delta":
                    pieces += 1
                    sys.stdout.write(event.text_delta.text)
                    sys.stdout.flush()
                elif kind == "usage":
                    usage = event.usage
                elif kind == "finish":
                    finish = event.finish.finish_reason
                elif kind == "error":
                    print(f"stream: stream failed: {event.error.message}", file=sys.stderr)
                    return 1
        except grpc.RpcError as err:
            print(f"stream: {err.code().name.lower()}: {err.details()}", file=sys.stderr)
            return 1
    sys.stdout.write("\n")
    reason = mcp_pb2.FinishReason.Name(finish).removeprefix("FINISH_REASON_").lower()
    print(f"streamed in {pieces} pieces; {usage.input_tokens} input tokens, "
          f"{usage.output_tokens} output tokens; finish {reason}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
