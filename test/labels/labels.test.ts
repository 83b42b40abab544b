import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bech32, bech32m } from 'bech32';
import bs58check from 'bs58check';
import { describe, expect, it } from 'vitest';

// The built-in exchange labels (labels/exchanges.json): every address a real, checksummed
// mainnet address, no documentation placeholder, each with its entity, kind, source and date;
// and the file is exactly what scripts/build-labels.mjs makes from the shared label files.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FILE = join(ROOT, 'labels/exchanges.json');
const SHARED = join(ROOT, '../shared/fixtures/labels/graphsense');

interface Entry {
  address: string;
  entity: string;
  kind: string;
  source: string;
  published: string | null;
}
const data = JSON.parse(await readFile(FILE, 'utf8')) as {
  version: number;
  entities: Record<string, { name: string; type: string }>;
  addresses: Entry[];
  prefixes: Array<Omit<Entry, 'address'> & { prefix: string }>;
};

/** Why `address` is not a valid mainnet address, or null when it is. */
function addressProblem(address: string): string | null {
  if (/^bc1/i.test(address)) {
    const lower = address.toLowerCase();
    if (address !== lower && address !== address.toUpperCase()) return 'mixed case';
    // Witness v0 uses bech32; v1 and later use bech32m (BIP 350).
    for (const [codec, v0] of [
      [bech32, true],
      [bech32m, false],
    ] as const) {
      const decoded = codec.decodeUnsafe(lower, 90);
      if (!decoded || decoded.prefix !== 'bc') continue;
      const version = decoded.words[0]!;
      if ((version === 0) !== v0) return `witness v${version} with the wrong checksum kind`;
      const program = codec.fromWords(decoded.words.slice(1));
      if (version === 0 && program.length !== 20 && program.length !== 32) return 'bad v0 program length';
      if (program.length < 2 || program.length > 40) return 'bad program length';
      return null;
    }
    return 'bad bech32/bech32m checksum';
  }
  try {
    const payload = bs58check.decode(address);
    if (payload.length !== 21) return 'bad base58 payload length';
    if (payload[0] !== 0x00 && payload[0] !== 0x05) return `not a mainnet version byte (${payload[0]})`;
    return null;
  } catch {
    return 'bad base58check checksum';
  }
}

describe('built-in exchange labels', () => {
  it('the checksum check itself refuses a broken address of each kind', () => {
    expect(addressProblem('34xp4vRoCGJym3xR7yCVPFHoCNxv4Twseo')).toBeNull();
    expect(addressProblem('34xp4vRoCGJym3xR7yCVPFHoCNxv4Twsep')).toBe('bad base58check checksum');
    expect(addressProblem('bc1qm34lsc65zpw79lxes69zkqmk6ee3ewf0j77s3h')).toBeNull();
    expect(addressProblem('bc1qm34lsc65zpw79lxes69zkqmk6ee3ewf0j77s3j')).toBe('bad bech32/bech32m checksum');
    // BIP 350's own v1 example passes, and with a bech32 (v0) checksum it does not.
    expect(addressProblem('bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0')).toBeNull();
    expect(
      addressProblem('bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx'),
    ).not.toBeNull();
  });

  it('every address is a valid mainnet address (base58check, bech32, bech32m), listed once', () => {
    expect(data.addresses.length).toBeGreaterThan(40);
    const problems = data.addresses
      .map((e) => [e.address, addressProblem(e.address)] as const)
      .filter(([, p]) => p !== null);
    expect(problems).toEqual([]);
    const seen = data.addresses.map((e) => e.address.toLowerCase());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('refuses the known documentation placeholders', () => {
    const all = new Set(data.addresses.map((e) => e.address.toLowerCase()));
    for (const placeholder of [
      'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh',
      '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy',
    ])
      expect(all.has(placeholder.toLowerCase()), placeholder).toBe(false);
  });

  it('each entry names a known entity, its kind, an https source and the date it was published', () => {
    for (const e of data.addresses) {
      expect(data.entities[e.entity], e.address).toBeDefined();
      expect(['reserve', 'cold', 'hot']).toContain(e.kind);
      expect(e.source).toMatch(/^https:\/\//);
      expect(e.published).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    for (const entity of Object.values(data.entities)) expect(entity).toMatchObject({ type: 'exchange' });
  });

  it("BitMEX's vanity addresses are one prefix rule, not rows", () => {
    expect(data.prefixes).toEqual([expect.objectContaining({ prefix: '3BMEX', entity: 'bitmex' })]);
    expect(data.addresses.filter((e) => e.address.startsWith('3BMEX'))).toEqual([]);
  });

  it.skipIf(!existsSync(SHARED))(
    'is exactly what scripts/build-labels.mjs builds from the shared label files',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'spout-labels-'));
      try {
        await cp(join(ROOT, 'scripts'), join(dir, 'scripts'), { recursive: true });
        await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
        await mkdir(join(dir, 'labels'), { recursive: true });
        await promisify(execFile)(process.execPath, [join(dir, 'scripts/build-labels.mjs'), SHARED]);
        expect(await readFile(join(dir, 'labels/exchanges.json'), 'utf8')).toBe(await readFile(FILE, 'utf8'));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
