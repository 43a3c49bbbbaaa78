// Streams an answer from a Manifold gateway with the generated TypeScript
// client, over the Connect protocol (HTTP/1.1) from Node.js.
//
//   npm ci && npm run build
//   node dist/examples/ts/src/main.js --server http://localhost:8080 "Hello, Manifold!"
//
// MANIFOLD_API_KEY, when set, is sent as the bearer token of a virtual key.
import { parseArgs } from "node:util";

import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";

import { FinishReason, Role, type Usage } from "../../../gen/ts/src/manifold/mcp/v1/mcp_pb.js";
import { GenerateStreamRequestSchema, RouterService } from "../../../gen/ts/src/manifold/router/v1/router_pb.js";

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      server: { type: "string", default: "http://localhost:8080" },
      model: { type: "string", default: "demo" },
    },
    allowPositionals: true,
  });
  const prompt = positionals.join(" ") || "Hello, Manifold!";
  const apiKey = process.env["MANIFOLD_API_KEY"];

  const transport = createConnectTransport({
    baseUrl: values.server,
    httpVersion: "1.1",
    interceptors: [
      (next) => async (req) => {
        if (apiKey) {
          req.header.set("Authorization", `Bearer ${apiKey}`);
        }
        return next(req);
      },
    ],
  });
  const client = createClient(RouterService, transport);

  const request = create(GenerateStreamRequestSchema, {
    request: {
      model: values.model,
      messages: [{ role: Role.USER, content: [{ part: { case: "text", value: prompt } }] }],
    },
  });

  let pieces = 0;
  let usage: Usage | undefined;
  let finish = FinishReason.UNSPECIFIED;
  for await (const res of client.generateStream(request)) {
    const ev = res.event?.event;
    switch (ev?.case) {
      case "textDelta":
        pieces++;
        process.stdout.write(ev.value.text);
        break;
      case "usage":
        usage = ev.value;
        break;
      case "finish":
        finish = ev.value.finishReason;
        break;
      case "error":
        throw new Error(`stream failed: ${ev.value.message}`);
    }
  }
  process.stdout.write("\n");
  process.stderr.write(
    `streamed in ${pieces} pieces; ${usage?.inputTokens ?? 0n} input tokens, ` +
      `${usage?.outputTokens ?? 0n} output tokens; finish ${FinishReason[finish].toLowerCase()}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`stream: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
