// Builds labels/exchanges.json, Spout's built-in exchange labels, from the facts in the
// shared label files (../shared/fixtures/labels, graphsense-tagpacks, MIT): the Bitcoin
// addresses exchanges themselves published in their proof-of-reserve disclosures, each with the
// URL and date of its publication. Only first-party or proof-of-reserve sources: the walletexplorer
// pack (clusters found by analysis) and DefiLlama's lists (some added from on-chain analysis,
// no publication date) are left out. BitMEX's vanity addresses are one prefix rule.
//
//   node scripts/build-labels.mjs [FIXTURES_DIR]
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../', import.meta.url));
const fixtures = process.argv[2] ?? join(root, '../shared/fixtures/labels/graphsense');
const NAMES = {
  binance: 'Binance',
  bitfinex: 'Bitfinex',
  bybit: 'Bybit',
  cryptocom: 'Crypto.com',
  deribit: 'Deribit',
  huobi: 'Huobi',
  kucoin: 'KuCoin',
  okex: 'OKX',
  swissborg: 'SwissBorg',
  bitmex: 'BitMEX',
};
const ENTITY = { okex: 'okx' };

const kindOf = (label) => (/\bhot\b/i.test(label) ? 'hot' : /\bcold\b/i.test(label) ? 'cold' : 'reserve');

const addresses = [];
for (const file of (await readdir(fixtures)).filter((f) => f.startsWith('exchange-wallets-')).sort()) {
  const pack = parse(await readFile(join(fixtures, file), 'utf8'));
  const entity = ENTITY[pack.actor] ?? pack.actor;
  for (const tag of pack.tags ?? []) {
    if (tag.currency !== 'BTC') continue;
    addresses.push({
      address: String(tag.address),
      entity,
      kind: kindOf(tag.label ?? pack.title ?? ''),
      source: pack.source,
      published: String(pack.lastmod),
    });
  }
}
addresses.sort((a, b) => a.entity.localeCompare(b.entity) || a.address.localeCompare(b.address));

const data = {
  version: 1,
  about:
    'Bitcoin addresses exchanges published in their own proof-of-reserve disclosures (via graphsense-tagpacks, MIT). Coverage is partial: deposit and hot wallets rotate, and there is no clustering. Built by scripts/build-labels.mjs.',
  entities: Object.fromEntries(
    [...new Set([...addresses.map((a) => a.entity), 'bitmex'])]
      .sort()
      .map((e) => [
        e,
        { name: NAMES[e] ?? NAMES[Object.keys(ENTITY).find((k) => ENTITY[k] === e)] ?? e, type: 'exchange' },
      ]),
  ),
  addresses,
  prefixes: [
    {
      prefix: '3BMEX',
      entity: 'bitmex',
      kind: 'reserve',
      source:
        'https://github.com/graphsense/graphsense-tagpacks (BitMEX vanity multisig addresses, all 3BMEX…)',
      // No dated first-party publication of the rule is among the facts used here.
      published: null,
    },
  ],
};
await writeFile(join(root, 'labels/exchanges.json'), JSON.stringify(data, null, 2) + '\n');
console.log(`labels/exchanges.json: ${addresses.length} addresses, ${data.prefixes.length} prefix rule(s)`);
