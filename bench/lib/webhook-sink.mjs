/**
 * A webhook receiver for the webhooks benchmark: answers every POST 200 once its body is read.
 *
 *   node bench/lib/webhook-sink.mjs   → prints "listening <port>"
 */
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.end());
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
