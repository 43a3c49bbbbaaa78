// The OpenAI SDK against every upstream emulator: a plain answer, a stream
// equal to it, an image, and a tool-call round trip.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openai, models, png, weatherTool } from './gateway.mjs';

const ask = (model, content) => ({ model, messages: [{ role: 'user', content }] });

for (const model of models) {
  describe(`openai SDK → ${model}`, () => {
    test('plain answer', async () => {
      const res = await openai.chat.completions.create(ask(model, 'Hello there, gateway'));
      const [choice] = res.choices;
      assert.equal(choice.message.role, 'assistant');
      assert.equal(choice.message.content, 'Echo: Hello there, gateway');
      assert.equal(choice.finish_reason, 'stop');
      assert.ok(res.usage.prompt_tokens > 0, `prompt_tokens ${res.usage.prompt_tokens}`);
      // The emulators count a token per word or punctuation mark: Echo|:| Hello| there|,| gateway.
      assert.equal(res.usage.completion_tokens, 6);
      assert.equal(res.usage.total_tokens, res.usage.prompt_tokens + res.usage.completion_tokens);
    });

    test('streamed answer has the plain answer’s text and usage', async () => {
      const plain = await openai.chat.completions.create(ask(model, 'Stream this, please'));
      const stream = await openai.chat.completions.create({
        ...ask(model, 'Stream this, please'), stream: true, stream_options: { include_usage: true },
      });
      let text = '', finish = null, usage = null, chunks = 0;
      for await (const chunk of stream) {
        chunks++;
        for (const c of chunk.choices) {
          text += c.delta.content ?? '';
          finish = c.finish_reason ?? finish;
        }
        if (chunk.usage) usage = chunk.usage;
      }
      assert.ok(chunks > 2, `only ${chunks} chunks: not streamed`);
      assert.equal(text, plain.choices[0].message.content);
      assert.equal(finish, 'stop');
      assert.ok(usage, 'no usage chunk although stream_options.include_usage was set');
      assert.deepEqual(usage, plain.usage);
    });

    test('image input', async () => {
      const res = await openai.chat.completions.create(ask(model, [
        { type: 'text', text: 'What is in this picture?' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
      ]));
      assert.match(res.choices[0].message.content, /I see 1 image\(s\): image\/png/);
    });

    test('tool-call round trip', async () => {
      const tools = [{ type: 'function', function: weatherTool }];
      const messages = [{ role: 'user', content: 'please call get_weather for Paris' }];
      const first = await openai.chat.completions.create({ model, messages, tools });
      const [choice] = first.choices;
      assert.equal(choice.finish_reason, 'tool_calls');
      assert.equal(choice.message.tool_calls?.length, 1, `tool_calls: ${JSON.stringify(choice.message)}`);
      const [call] = choice.message.tool_calls;
      assert.equal(call.type, 'function');
      assert.equal(call.function.name, 'get_weather');
      assert.ok(call.id, 'tool call without id');
      assert.deepEqual(JSON.parse(call.function.arguments), { city: 'please call get_weather for Paris' });

      // Send the assistant message back exactly as the SDK returned it.
      messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: 'sunny and 21 degrees' });
      const second = await openai.chat.completions.create({ model, messages, tools });
      assert.equal(second.choices[0].finish_reason, 'stop');
      assert.match(second.choices[0].message.content, /^Tool said: .*sunny and 21 degrees/);
    });

    test('streamed tool-call round trip matches the plain one', async () => {
      const tools = [{ type: 'function', function: weatherTool }];
      const messages = [{ role: 'user', content: 'please call get_weather for Paris' }];
      const plain = await openai.chat.completions.create({ model, messages, tools });
      // The SDK's stream helper assembles tool calls from their deltas.
      const stream = openai.chat.completions.stream({ model, messages, tools, stream_options: { include_usage: true } });
      const first = await stream.finalChatCompletion();
      const [choice] = first.choices;
      assert.equal(choice.finish_reason, 'tool_calls');
      assert.equal(choice.message.tool_calls?.length, 1, `tool_calls: ${JSON.stringify(choice.message)}`);
      const [call] = choice.message.tool_calls;
      const [plainCall] = plain.choices[0].message.tool_calls;
      assert.ok(call.id, 'tool call without id');
      assert.equal(call.function.name, plainCall.function.name);
      assert.deepEqual(JSON.parse(call.function.arguments), JSON.parse(plainCall.function.arguments));
      assert.deepEqual(first.usage, plain.usage);

      messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: 'sunny and 21 degrees' });
      const second = await openai.chat.completions.stream({ model, messages, tools }).finalChatCompletion();
      assert.equal(second.choices[0].finish_reason, 'stop');
      assert.match(second.choices[0].message.content, /^Tool said: .*sunny and 21 degrees/);
    });
  });
}
