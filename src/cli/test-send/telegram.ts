import type { ChatPlatform } from './chat.js';

/** How a Telegram test report names the platform and what to fix. */
export const TELEGRAM: ChatPlatform = {
  name: 'Telegram',
  poster: 'bot',
  rejectedFix: (where) => `Telegram rejected the bot token: check ${where}.token (from @BotFather)`,
  notFoundFix: (where) =>
    `check ${where}.chat: the chat id or @channel name, and that the bot is a member of it`,
};
