-- wrk script for `make bench` (tools/bench.sh): every connection sends the
-- same OpenAI chat-completions request; BENCH_STREAM=1 asks for server-sent
-- events with usage. wrk times each request from the first byte written to
-- the last byte of the response (the whole stream for SSE).
--
-- Environment: BENCH_MODEL (model name), BENCH_KEY (bearer key),
-- BENCH_STREAM ("1" to stream).

local model = os.getenv("BENCH_MODEL") or "gpt-4o-mini"
local key = os.getenv("BENCH_KEY") or "sk-bench"
local stream = os.getenv("BENCH_STREAM") == "1"

local body = '{"model":"' .. model .. '","messages":['
  .. '{"role":"system","content":"You are a helpful assistant."},'
  .. '{"role":"user","content":"Say hello to the benchmark in a few words."}'
  .. '],"max_tokens":64,"temperature":0'
if stream then
  body = body .. ',"stream":true,"stream_options":{"include_usage":true}'
end
body = body .. '}'

wrk.method = "POST"
wrk.path = "/v1/chat/completions"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key

-- One machine-readable line; latencies in microseconds. "errors" counts
-- socket errors, timeouts and non-2xx/3xx answers.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d mean_us=%.1f errors=%d non2xx=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.mean,
    e.connect + e.read + e.write + e.timeout + e.status, e.status))
end
