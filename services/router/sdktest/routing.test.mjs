// The gateway's own resilience, seen through the SDKs (which do not retry):
// fallback to the next target on 503, and retry-after honoured on 429 or
// passed on to the caller when it is longer than the route allows.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { openai, anthropic, script, received, rejection } from './gateway.mjs';

const ask = (model, content) => ({ model, messages: [{ role: 'user', content }] });

describe('fallback-route: openai-emu answers 503, anthropic-emu is next', () => {
  test('openai SDK gets the fallback’s answer', async () => {
    await script('openai', { status: 503 });
    await script('anthropic');
    const res = await openai.chat.completions.create(ask('fallback-route', 'Are you there?'));
    assert.equal(res.choices[0].message.content, 'Echo: Are you there?');
    assert.equal((await received('openai')).length, 1, 'openai-emu should get exactly the one request it failed');
    assert.equal((await received('anthropic')).length, 1, 'anthropic-emu should answer the fallback');
  });

  test('streamed: the 503 comes before the first byte, so the stream falls back too', async () => {
    await script('openai', { status: 503 });
    await script('anthropic');
    const stream = await openai.chat.completions.create({ ...ask('fallback-route', 'Are you there?'), stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'Echo: Are you there?');
    assert.equal((await received('anthropic')).length, 1);
  });

  test('anthropic SDK gets the fallback’s answer', async () => {
    await script('openai', { status: 503 });
    await script('anthropic');
    const msg = await anthropic.messages.create({ ...ask('fallback-route', 'Are you there?'), max_tokens: 64 });
    assert.equal(msg.content[0].text, 'Echo: Are you there?');
    assert.equal((await received('openai')).length, 1);
  });
});

describe('retry-route: a single target answering 429', () => {
  test('retry-after: 1 is waited out and the retry succeeds', async () => {
    await script('openai', { status: 429, headers: { 'retry-after': '1' } });
    const start = Date.now();
    const res = await openai.chat.completions.create(ask('retry-route', 'Try again'));
    const waited = Date.now() - start;
    assert.equal(res.choices[0].message.content, 'Echo: Try again');
    assert.equal((await received('openai')).length, 2, 'want the 429 and one retry');
    assert.ok(waited >= 900, `answered after ${waited} ms, before the 1 s retry-after`);
  });

  test('retry-after beyond the route’s max_retry_after surfaces as 429 with retry-after (openai SDK)', async () => {
    await script('openai', { status: 429, headers: { 'retry-after': '120' } });
    const err = await rejection(openai.chat.completions.create(ask('retry-route', 'Try again')));
    assert.ok(err instanceof OpenAI.RateLimitError, `want RateLimitError, got ${err?.constructor?.name}: ${err?.message}`);
    assert.equal(err.status, 429);
    const after = Number(err.headers.get('retry-after'));
    assert.ok(after > 60 && after <= 120, `retry-after header ${err.headers.get('retry-after')}, want the upstream’s ~120 s`);
    assert.equal((await received('openai')).length, 1, 'the gateway must not retry a wait longer than max_retry_after');
  });

  test('streamed: a 429 before the first byte surfaces as 429 with retry-after (openai SDK)', async () => {
    await script('openai', { status: 429, headers: { 'retry-after': '120' } });
    const err = await rejection(openai.chat.completions.create({ ...ask('retry-route', 'Try again'), stream: true }));
    assert.ok(err instanceof OpenAI.RateLimitError, `want RateLimitError, got ${err?.constructor?.name}: ${err?.message}`);
    const after = Number(err.headers.get('retry-after'));
    assert.ok(after > 60 && after <= 120, `retry-after header ${err.headers.get('retry-after')}, want the upstream’s ~120 s`);
  });

  test('streamed: a 429 before the first byte surfaces as 429 with retry-after (anthropic SDK)', async () => {
    await script('openai', { status: 429, headers: { 'retry-after': '120' } });
    const stream = anthropic.messages.stream({ ...ask('retry-route', 'Try again'), max_tokens: 64 });
    const err = await rejection(stream.finalMessage());
    assert.ok(err instanceof Anthropic.RateLimitError, `want RateLimitError, got ${err?.constructor?.name}: ${err?.message}`);
    const after = Number(err.headers.get('retry-after'));
    assert.ok(after > 60 && after <= 120, `retry-after header ${err.headers.get('retry-after')}, want the upstream’s ~120 s`);
  });

  test('retry-after beyond the route’s max_retry_after surfaces as 429 with retry-after (anthropic SDK)', async () => {
    await script('openai', { status: 429, headers: { 'retry-after': '120' } });
    const err = await rejection(anthropic.messages.create({ ...ask('retry-route', 'Try again'), max_tokens: 64 }));
    assert.ok(err instanceof Anthropic.RateLimitError, `want RateLimitError, got ${err?.constructor?.name}: ${err?.message}`);
    assert.equal(err.status, 429);
    assert.equal(err.error?.error?.type, 'rate_limit_error');
    const after = Number(err.headers.get('retry-after'));
    assert.ok(after > 60 && after <= 120, `retry-after header ${err.headers.get('retry-after')}, want the upstream’s ~120 s`);
  });
});
