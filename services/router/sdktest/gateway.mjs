// Shared set-up for the SDK tests: SDK clients pointed at the gateway that
// sdk_test.go started, and the test's control endpoint, which scripts faults
// on the upstream emulators and reports what they received.
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';

function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run these tests through sdk_test.go (go test ./router/sdktest)`);
  return v;
}

export const gatewayURL = required('MANIFOLD_SDKTEST_GATEWAY_URL');
const controlURL = required('MANIFOLD_SDKTEST_CONTROL_URL');
// Models, one per upstream emulator, e.g. "openai-emu,anthropic-emu,…".
export const models = required('MANIFOLD_SDKTEST_MODELS').split(',');
export const maxRequestBytes = Number(required('MANIFOLD_SDKTEST_MAX_REQUEST_BYTES'));

// No SDK retries: retries and fallbacks under test must be the gateway's.
export const openai = new OpenAI({ baseURL: `${gatewayURL}/v1`, apiKey: 'sk-sdktest', maxRetries: 0, timeout: 30_000 });
export const anthropic = new Anthropic({ baseURL: gatewayURL, apiKey: 'sk-ant-sdktest', maxRetries: 0, timeout: 30_000 });

// script forgets what the emulator received and queues faults for its next
// requests, e.g. script('openai', { status: 503 }). Fault fields are those of
// emulator.Fault: status, headers, cutAfterChunks, errorAfterChunks, ….
export async function script(emulator, ...faults) {
  const res = await fetch(`${controlURL}/emulators/${emulator}/script`, { method: 'POST', body: JSON.stringify(faults) });
  if (!res.ok) throw new Error(`script ${emulator}: ${res.status} ${await res.text()}`);
}

// received lists the requests the emulator got since it was last scripted,
// as [{method, path}].
export async function received(emulator) {
  const res = await fetch(`${controlURL}/emulators/${emulator}/requests`);
  if (!res.ok) throw new Error(`requests ${emulator}: ${res.status} ${await res.text()}`);
  return res.json();
}

// A 1×1 PNG.
export const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

export const weatherTool = {
  name: 'get_weather',
  description: 'Current weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

// rejection resolves to the error promise rejects with, and fails the test
// when it resolves instead.
export const rejection = (promise) =>
  promise.then((res) => assert.fail(`want an error, got ${JSON.stringify(res)}`), (e) => e);
