/** Ten levels of ten aliases: 10^10 values once written out. */
export const BILLION_LAUGHS = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefghij'.split('').map((x, i) => {
    const prev = 'abcdefghij'[i] as string;
    return `${x}: &${x} [${Array.from({ length: 10 }, () => `*${prev}`).join(',')}]`;
  }),
  'inputs:',
  '  feed: { use: replay, items: *j }',
].join('\n');
