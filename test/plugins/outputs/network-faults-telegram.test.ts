import { describeChatFaults } from '../../helpers/chat-faults.js';
import { startFakeTelegram } from '../../helpers/fake-telegram.js';

// Resets, half answers, silence, DNS and TLS failures between grammY and the Bot API: see
// describeChatFaults for what each must end as.

const CHANNEL = '-1001234567890';

describeChatFaults({
  channel: 'telegram',
  chat: CHANNEL,
  async start() {
    const tg = await startFakeTelegram();
    return {
      origin: tg.url,
      yaml: (base, extra) =>
        `outputs:\n  channel: { use: telegram, token: "${tg.token}", chat: "${CHANNEL}", apiRoot: "${base}", pacing: { perChat: 10ms, global: 1ms }, ${extra} }\n`,
      posts: () => tg.of('sendMessage').length,
      edits: () => tg.of('editMessageText').length,
      secret: tg.token,
      shows: (messageId) => tg.messages.get(`${CHANNEL}/${messageId}`),
      close: () => tg.close(),
    };
  },
});
