import type { ChatPlatform } from './chat.js';

/** How a Discord test report names the platform and what to fix. */
export const DISCORD: ChatPlatform = {
  name: 'Discord',
  poster: 'bot or webhook',
  rejectedFix: (where) => `Discord rejected the credentials: check ${where}.webhookUrl (or the bot token)`,
  notFoundFix: (where) => `the webhook or channel does not exist: check ${where}.webhookUrl (or channel)`,
};
