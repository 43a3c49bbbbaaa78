// The Anthropic SDK against every upstream emulator (translated for all but
// Anthropic's own): a plain answer, a stream equal to it, an image, and a
// tool_use round trip, plain and streamed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { anthropic, models, png, weatherTool } from './gateway.mjs';

const ask = (model, content) => ({ model, max_tokens: 256, messages: [{ role: 'user', content }] });
const textOf = (message) => message.content.filter((b) => b.type === 'text').map((b) => b.text).join('');

for (const model of models) {
  describe(`anthropic SDK → ${model}`, () => {
    test('plain answer', async () => {
      const msg = await anthropic.messages.create(ask(model, 'Hello there, gateway'));
      assert.equal(msg.type, 'message');
      assert.equal(msg.role, 'assistant');
      assert.equal(msg.content.length, 1, `content: ${JSON.stringify(msg.content)}`);
      assert.equal(msg.content[0].type, 'text');
      assert.equal(msg.content[0].text, 'Echo: Hello there, gateway');
      assert.equal(msg.stop_reason, 'end_turn');
      assert.ok(msg.usage.input_tokens > 0, `input_tokens ${msg.usage.input_tokens}`);
      // The emulators count a token per word or punctuation mark: Echo|:| Hello| there|,| gateway.
      assert.equal(msg.usage.output_tokens, 6);
    });

    test('streamed answer has the plain answer’s text and usage', async () => {
      const plain = await anthropic.messages.create(ask(model, 'Stream this, please'));
      const stream = anthropic.messages.stream(ask(model, 'Stream this, please'));
      let deltas = '', events = 0;
      stream.on('streamEvent', () => events++);
      stream.on('text', (delta) => { deltas += delta; });
      const final = await stream.finalMessage();
      assert.ok(events > 4, `only ${events} events: not streamed`);
      assert.equal(deltas, textOf(plain));
      assert.equal(textOf(final), textOf(plain));
      assert.equal(final.stop_reason, plain.stop_reason);
      assert.equal(final.usage.input_tokens, plain.usage.input_tokens);
      assert.equal(final.usage.output_tokens, plain.usage.output_tokens);
    });

    test('image input', async () => {
      const msg = await anthropic.messages.create(ask(model, [
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
        { type: 'text', text: 'What is in this picture?' },
      ]));
      assert.match(textOf(msg), /I see 1 image\(s\): image\/png/);
    });

    test('tool_use round trip', async () => {
      const tools = [{ name: weatherTool.name, description: weatherTool.description, input_schema: weatherTool.parameters }];
      const messages = [{ role: 'user', content: 'please call get_weather for Paris' }];
      const first = await anthropic.messages.create({ model, max_tokens: 256, messages, tools });
      assert.equal(first.stop_reason, 'tool_use');
      const uses = first.content.filter((b) => b.type === 'tool_use');
      assert.equal(uses.length, 1, `content: ${JSON.stringify(first.content)}`);
      const [use] = uses;
      assert.equal(use.name, 'get_weather');
      assert.ok(use.id, 'tool_use without id');
      assert.deepEqual(use.input, { city: 'please call get_weather for Paris' });

      messages.push(
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny and 21 degrees' }] },
      );
      const second = await anthropic.messages.create({ model, max_tokens: 256, messages, tools });
      assert.equal(second.stop_reason, 'end_turn');
      assert.match(textOf(second), /^Tool said: .*sunny and 21 degrees/);
    });

    test('streamed tool_use round trip matches the plain one', async () => {
      const tools = [{ name: weatherTool.name, description: weatherTool.description, input_schema: weatherTool.parameters }];
      const messages = [{ role: 'user', content: 'please call get_weather for Paris' }];
      const plain = await anthropic.messages.create({ model, max_tokens: 256, messages, tools });
      const stream = anthropic.messages.stream({ model, max_tokens: 256, messages, tools });
      let inputDeltas = '';
      stream.on('inputJson', (delta) => { inputDeltas += delta; });
      const first = await stream.finalMessage();
      assert.equal(first.stop_reason, 'tool_use');
      const uses = first.content.filter((b) => b.type === 'tool_use');
      assert.equal(uses.length, 1, `content: ${JSON.stringify(first.content)}`);
      const [use] = uses;
      const [plainUse] = plain.content.filter((b) => b.type === 'tool_use');
      assert.equal(use.name, plainUse.name);
      assert.ok(use.id, 'tool_use without id');
      assert.deepEqual(use.input, plainUse.input);
      assert.deepEqual(JSON.parse(inputDeltas), plainUse.input, `input_json_delta fragments: ${inputDeltas}`);
      assert.equal(first.usage.output_tokens, plain.usage.output_tokens);

      messages.push(
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny and 21 degrees' }] },
      );
      const second = await anthropic.messages.stream({ model, max_tokens: 256, messages, tools }).finalMessage();
      assert.equal(second.stop_reason, 'end_turn');
      assert.match(textOf(second), /^Tool said: .*sunny and 21 degrees/);
    });
  });
}
