/** A candidate's model request as the bridge reads it: the request it means, or the one reason it is refused. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseModelRequest } from "../src/evaluate/index.ts";

const user = { role: "user", content: "hello" };

test("a well-formed request is read, extra fields of a message dropped", () => {
  assert.deepEqual(parseModelRequest(JSON.stringify({ messages: [{ ...user, name: "x" }] })), {
    messages: [user],
    options: {},
  });
  assert.deepEqual(
    parseModelRequest({
      messages: [{ role: "system", content: "s" }, user],
      options: { maxTokens: 5, temperature: 0 },
    }),
    { messages: [{ role: "system", content: "s" }, user], options: { maxTokens: 5, temperature: 0 } },
  );
});

test("each malformed request gets the one reason that names its part", () => {
  const cases: Array<[unknown, string]> = [
    ["{not json", "the request is not JSON"],
    [[], "the request must be { messages, options }"],
    [null, "the request must be { messages, options }"],
    [{}, "messages must be a non-empty list"],
    [{ messages: [] }, "messages must be a non-empty list"],
    [{ messages: "hi" }, "messages must be a non-empty list"],
    [
      { messages: [user, { role: "tool", content: "x" }] },
      'messages[1] must be { role: "system" | "user" | "assistant", content: string }',
    ],
    [
      { messages: [{ role: "user", content: 3 }] },
      'messages[0] must be { role: "system" | "user" | "assistant", content: string }',
    ],
    [{ messages: [7] }, 'messages[0] must be { role: "system" | "user" | "assistant", content: string }'],
    [{ messages: [user], options: 3 }, "options must be an object"],
    [
      { messages: [user], options: { model: "gpt-5" } },
      "options.model is not an option (maxTokens, temperature)",
    ],
    [{ messages: [user], options: { maxTokens: 0 } }, "options.maxTokens must be a positive integer"],
    [{ messages: [user], options: { maxTokens: 1.5 } }, "options.maxTokens must be a positive integer"],
    [{ messages: [user], options: { maxTokens: "9" } }, "options.maxTokens must be a positive integer"],
    [{ messages: [user], options: { temperature: 2.5 } }, "options.temperature must be a number from 0 to 2"],
    [{ messages: [user], options: { temperature: -1 } }, "options.temperature must be a number from 0 to 2"],
    [
      { messages: [user], options: { temperature: null } },
      "options.temperature must be a number from 0 to 2",
    ],
  ];
  for (const [request, reason] of cases)
    assert.equal(parseModelRequest(request), reason, JSON.stringify(request));
});
