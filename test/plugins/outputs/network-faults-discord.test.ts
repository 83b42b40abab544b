import { describeChatFaults } from '../../helpers/chat-faults.js';
import { startFakeDiscord } from '../../helpers/fake-discord.js';

// Resets, half answers, silence, DNS and TLS failures between discord.js (undici) and the
// Discord API: see describeChatFaults for what each must end as.

const HOOK = /^\/webhooks\/\d+\/x+$/;
const HOOK_EDIT = /^\/webhooks\/\d+\/x+\/messages\/\d+$/;

describeChatFaults({
  channel: 'discord',
  chat: 'webhook',
  async start() {
    const d = await startFakeDiscord();
    const count = (method: string, path: RegExp) =>
      d.calls.filter((c) => c.method === method && path.test(c.path)).length;
    return {
      origin: new URL(d.api).origin,
      yaml: (base, extra) =>
        `outputs:\n  channel: { use: discord, webhookUrl: "${d.webhookUrl}", apiBase: "${base}/api", ${extra} }\n`,
      posts: () => count('POST', HOOK),
      edits: () => count('PATCH', HOOK_EDIT),
      secret: new URL(d.webhookUrl).pathname.split('/').at(-1)!,
      shows: (messageId) => {
        const embed = d.messages.get(messageId)?.embeds[0] as { title?: string } | undefined;
        return embed?.title;
      },
      close: () => d.close(),
    };
  },
});
