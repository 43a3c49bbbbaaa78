// The other endpoints the SDKs call: model listing, embeddings in the SDK's
// default base64 encoding and in floats, and Anthropic's token counting.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { openai, anthropic, models, rejection } from './gateway.mjs';

describe('openai SDK', () => {
  test('models.list names every catalog model', async () => {
    const ids = [];
    for await (const m of openai.models.list()) ids.push(m.id);
    for (const model of [...models, 'embed-emu']) assert.ok(ids.includes(model), `${model} missing from ${ids}`);
  });

  test('embeddings: the SDK’s default base64 and explicit floats decode to the same vectors', async () => {
    const input = ['the quick brown fox', 'jumps'];
    const b64 = await openai.embeddings.create({ model: 'embed-emu', input });
    const floats = await openai.embeddings.create({ model: 'embed-emu', input, encoding_format: 'float' });
    assert.equal(b64.data.length, 2);
    assert.deepEqual(b64.data.map((d) => d.index), [0, 1]);
    for (const [i, d] of b64.data.entries()) {
      assert.ok(Array.isArray(d.embedding) && d.embedding.length > 0, `embedding ${i}: ${JSON.stringify(d.embedding).slice(0, 80)}`);
      // float32 on the base64 path: equal to the floats within float32 precision.
      d.embedding.forEach((x, j) => assert.ok(Math.abs(x - floats.data[i].embedding[j]) < 1e-6, `embedding ${i}[${j}]: ${x} vs ${floats.data[i].embedding[j]}`));
    }
    assert.ok(b64.usage.prompt_tokens > 0);
  });

  test('embeddings with a chat model → 400 BadRequestError', async () => {
    const err = await rejection(openai.embeddings.create({ model: 'text-only-emu', input: 'hi' }));
    assert.ok(err instanceof OpenAI.BadRequestError, `got ${err?.constructor?.name}: ${err?.message}`);
    assert.match(err.message, /embed/);
  });
});

describe('anthropic SDK', () => {
  test('models.list and models.retrieve answer in Anthropic’s shape', async () => {
    const infos = [];
    for await (const m of anthropic.models.list()) infos.push(m);
    const ids = infos.map((m) => m.id);
    for (const model of models) assert.ok(ids.includes(model), `${model} missing from ${ids}`);
    for (const m of infos) {
      assert.equal(m.type, 'model');
      assert.ok(m.display_name && !Number.isNaN(Date.parse(m.created_at)), JSON.stringify(m));
    }
    const one = await anthropic.models.retrieve('anthropic-emu');
    assert.equal(one.id, 'anthropic-emu');
    const err = await rejection(anthropic.models.retrieve('no-such-model'));
    assert.ok(err instanceof Anthropic.NotFoundError, `got ${err?.constructor?.name}: ${err?.message}`);
  });

  test('messages.countTokens counts more for a longer prompt', async () => {
    const count = (content) => anthropic.messages.countTokens({ model: 'anthropic-emu', messages: [{ role: 'user', content }] });
    const short = await count('Hello');
    const long = await count('Hello there, this prompt has a good many more words in it');
    assert.ok(short.input_tokens > 0, `input_tokens ${short.input_tokens}`);
    assert.ok(long.input_tokens > short.input_tokens, `${long.input_tokens} ≤ ${short.input_tokens}`);
  });

  test('messages.countTokens for an unknown model → 404 NotFoundError', async () => {
    const err = await rejection(anthropic.messages.countTokens({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }));
    assert.ok(err instanceof Anthropic.NotFoundError, `got ${err?.constructor?.name}: ${err?.message}`);
  });
});
