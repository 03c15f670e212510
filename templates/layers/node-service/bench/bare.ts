/** `make bench`'s baseline: bare Fastify serving GET /hello, no platform (no tracing, metrics, logs or guards). */
import Fastify from "fastify";

const app = Fastify({ logger: false });
app.get("/hello", async () => ({ message: "hello" }));
await app.listen({ host: "127.0.0.1", port: Number(process.env.PORT) });
process.once("SIGINT", () => {
  app.close().then(() => process.exit(0));
});
