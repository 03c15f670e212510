/** The service's endpoints: the team's code (written once by paved, then yours). */
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { Settings } from "./settings.js";

export async function routes(app: FastifyInstance, settings: Settings): Promise<void> {
  app.get("/hello", async () => ({ message: "hello" }));

  // Calls another service through the platform's outbound client: deadline, retries,
  // circuit breaking and tracing included. A downstream that got no answer becomes 502
  // (504 when it timed out).
  app.get("/example", async () => {
    const answer = await app.outbound.get(settings.exampleDownstreamUrl);
    return { downstream_status: answer.status };
  });

  // A POST is retried only with an Idempotency-Key: the downstream must not act twice.
  app.post("/example", async () => {
    const answer = await app.outbound.post(settings.exampleDownstreamUrl, {
      headers: { "idempotency-key": randomUUID(), "content-type": "application/json" },
      body: JSON.stringify({ example: true }),
    });
    return { downstream_status: answer.status };
  });
}
