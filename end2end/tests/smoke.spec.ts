import { test, uniqueRoom } from './fixtures';
import { smoke } from './smoke';

test('smoke: send, live in a second context, a lazily loaded action, no page errors', async ({ server, openUser }) => {
  await smoke(server.url, openUser, uniqueRoom('smoke'));
});
