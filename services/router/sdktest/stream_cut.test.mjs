// An upstream stream that fails after some text has gone out can no longer fall
// back: the gateway must end the stream with an error event, which both SDKs
// raise while the caller iterates (a silent end would look like a complete,
// short answer).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { openai, anthropic, models, script, rejection } from './gateway.mjs';

const prompt = 'Tell me a long story about a gateway that routes every request to the right model';
// Six upstream chunks (or frames, or lines) carry a few tokens of text in
// every provider's framing; the answer has more than twenty. The upstream
// fails in three ways after them: the connection closes without the
// provider's terminator, the provider sends its own mid-stream error event,
// or it sends a chunk that is not JSON.
const failures = {
  'cut after the first byte': { cutAfterChunks: 6 },
  'failing with the provider’s error event after the first byte': { errorAfterChunks: 6 },
  'sending a malformed chunk after the first byte': { malformedAfterChunks: 6 },
};

for (const model of models) for (const [how, fault] of Object.entries(failures)) {
  const emulator = model.replace(/-emu$/, '');

  describe(`stream from ${model} ${how}`, () => {
    test('openai SDK throws while iterating, after some text', async () => {
      await script(emulator, fault);
      const stream = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: prompt }], stream: true });
      let text = '';
      const err = await rejection((async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
        return text; // the stream ended cleanly: rejection fails, showing the text
      })());
      assert.ok(err instanceof OpenAI.APIError && !(err instanceof OpenAI.APIConnectionError),
        `want the APIError an error event raises, got ${err?.constructor?.name}: ${err?.message}`);
      assert.ok(err.message, 'error event without a message');
      assert.ok(text.startsWith('Echo:'), `text before the error: ${JSON.stringify(text)}`);
    });

    test('anthropic SDK throws while iterating, after some text', async () => {
      await script(emulator, fault);
      const stream = anthropic.messages.stream({ model, max_tokens: 256, messages: [{ role: 'user', content: prompt }] });
      let text = '';
      const err = await rejection((async () => {
        for await (const event of stream) {
          if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
        }
        return text; // the stream ended cleanly: rejection fails, showing the text
      })());
      assert.ok(err instanceof Anthropic.APIError && !(err instanceof Anthropic.APIConnectionError),
        `want the APIError an error event raises, got ${err?.constructor?.name}: ${err?.message}`);
      assert.ok(err.error?.error?.type, `error event without error.type: ${JSON.stringify(err.error)}`);
      assert.ok(text.startsWith('Echo:'), `text before the error: ${JSON.stringify(text)}`);
    });
  });
}
