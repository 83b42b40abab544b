import { describe, expect, it } from 'vitest';
import { closestName } from '../../src/config/suggest.js';

describe('did you mean', () => {
  it('finds the name a typo meant: another case, a prefix, a few edits; nothing for a far word', () => {
    expect(closestName('minBTC', ['minBtc', 'minUrgency'])).toBe('minBtc');
    expect(closestName('threshold', ['thresholdBtc', 'minUsd'])).toBe('thresholdBtc');
    expect(closestName('webhok', ['console', 'webhook', 'websocket'])).toBe('webhook');
    expect(closestName('telegarm', ['telegram', 'discord'])).toBe('telegram');
    expect(closestName('frobnicate', ['console', 'webhook'])).toBeUndefined();
    expect(closestName('url', ['uri', 'urls'])).toBe('uri');
  });
});
