// Bad requests get clear errors in the caller's protocol: OpenAI's
// {error:{message,type,param,code}} and Anthropic's
// {type:"error",error:{type,message}}, with the status the SDKs map to the
// right error class.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { openai, anthropic, gatewayURL, maxRequestBytes, png, rejection } from './gateway.mjs';

// post sends a raw body, as a client with a broken JSON encoder would.
async function post(path, body, headers = {}) {
  const res = await fetch(`${gatewayURL}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { assert.fail(`${path} answered ${res.status} with a body that is not JSON: ${text}`); }
  return { status: res.status, json };
}

function assertOpenAIEnvelope(body) {
  const keys = body?.error && Object.keys(body.error).sort();
  assert.deepEqual(keys, ['code', 'message', 'param', 'type'], `want {error:{message,type,param,code}}, got ${JSON.stringify(body)}`);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
  assert.equal(typeof body.error.type, 'string');
}

function assertAnthropicEnvelope(body, type) {
  assert.equal(body?.type, 'error', `want {type:"error",error:{type,message}}, got ${JSON.stringify(body)}`);
  assert.equal(body.error?.type, type, `error.type in ${JSON.stringify(body)}`);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
}

const anthropicHeaders = { 'x-api-key': 'sk-ant-sdktest', 'anthropic-version': '2023-06-01' };
// A request just over the gateway's body limit.
const oversize = (shape) => JSON.stringify(shape('x'.repeat(maxRequestBytes + 1024)));

describe('OpenAI surface', () => {
  test('unknown model → 404 NotFoundError', async () => {
    const err = await rejection(openai.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }));
    assert.ok(err instanceof OpenAI.NotFoundError, `got ${err?.constructor?.name}: ${err?.message}`);
    assert.equal(err.status, 404);
    assert.match(err.message, /no-such-model/);
  });

  test('malformed JSON → 400 in the OpenAI envelope', async () => {
    const { status, json } = await post('/v1/chat/completions', '{"model": "openai-emu", "messages": [');
    assert.equal(status, 400);
    assertOpenAIEnvelope(json);
    assert.equal(json.error.type, 'invalid_request_error');
  });

  test('oversize body → 413 in the OpenAI envelope', async () => {
    const { status, json } = await post('/v1/chat/completions', oversize((text) => ({ model: 'openai-emu', messages: [{ role: 'user', content: text }] })));
    assert.equal(status, 413);
    assertOpenAIEnvelope(json);
  });

  test('unsupported feature (n: 2) → 400 BadRequestError naming n', async () => {
    const err = await rejection(openai.chat.completions.create({ model: 'openai-emu', n: 2, messages: [{ role: 'user', content: 'hi' }] }));
    assert.ok(err instanceof OpenAI.BadRequestError, `got ${err?.constructor?.name}: ${err?.message}`);
    assert.equal(err.status, 400);
    assert.ok(err.param === 'n' || /\bn\b/.test(err.message), `error does not name the parameter n: ${JSON.stringify(err.error)}`);
  });

  test('unsupported feature (an image for a model without vision) → 400 BadRequestError', async () => {
    const err = await rejection(openai.chat.completions.create({ model: 'text-only-emu', messages: [{ role: 'user', content: [
      { type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
    ] }] }));
    assert.ok(err instanceof OpenAI.BadRequestError, `got ${err?.constructor?.name}: ${err?.message}`);
    assert.match(err.message, /vision/);
  });
});

describe('Anthropic surface', () => {
  test('unknown model → 404 NotFoundError', async () => {
    const err = await rejection(anthropic.messages.create({ model: 'no-such-model', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }));
    assert.ok(err instanceof Anthropic.NotFoundError, `got ${err?.constructor?.name}: ${err?.message}`);
    assert.equal(err.status, 404);
    assert.equal(err.error?.error?.type, 'not_found_error');
    assert.match(err.message, /no-such-model/);
  });

  test('malformed JSON → 400 in the Anthropic envelope', async () => {
    const { status, json } = await post('/v1/messages', '{"model": "anthropic-emu", "messages": [', anthropicHeaders);
    assert.equal(status, 400);
    assertAnthropicEnvelope(json, 'invalid_request_error');
  });

  test('oversize body → 413 in the Anthropic envelope', async () => {
    const body = oversize((text) => ({ model: 'anthropic-emu', max_tokens: 16, messages: [{ role: 'user', content: text }] }));
    const { status, json } = await post('/v1/messages', body, anthropicHeaders);
    assert.equal(status, 413);
    assertAnthropicEnvelope(json, 'request_too_large');
  });

  test('unsupported feature (an image for a model without vision) → 400 BadRequestError', async () => {
    const err = await rejection(anthropic.messages.create({ model: 'text-only-emu', max_tokens: 16, messages: [{ role: 'user', content: [
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } }, { type: 'text', text: 'What is this?' },
    ] }] }));
    assert.ok(err instanceof Anthropic.BadRequestError, `got ${err?.constructor?.name}: ${err?.message}`);
    assert.equal(err.error?.error?.type, 'invalid_request_error');
    assert.match(err.message, /vision/);
  });
});
