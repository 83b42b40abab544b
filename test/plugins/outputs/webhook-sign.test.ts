import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { createSigner } from '../../../plugins/outputs/webhook/sign.js';

const secretOf = (bytes: number) => 'whsec_' + randomBytes(bytes).toString('base64');

describe('webhook signer', () => {
  // The signer computes the HMAC with node:crypto: it must give the package's exact bytes.
  const bodies = [
    '{"type":"whale.detected","data":{"txid":"ab","valueSats":15000000000}}',
    '',
    '{"note":"Überweisung — 送金 🐋","escaped":"\\"\\u2028"}',
    JSON.stringify({ big: 'x'.repeat(70_000) }),
  ];

  it("gives the standardwebhooks package's signature for every secret, body and moment", () => {
    const secrets = [secretOf(24), secretOf(32), secretOf(64)];
    const signer = createSigner(secrets);
    for (const body of bodies) {
      for (const at of [new Date(0), new Date(1_700_000_000_999), new Date()]) {
        const id = 'evt_' + randomBytes(16).toString('hex');
        const headers = signer.sign(id, at, body);
        expect(headers['webhook-id']).toBe(id);
        expect(headers['webhook-timestamp']).toBe(String(Math.floor(at.getTime() / 1000)));
        expect(headers['webhook-signature']).toBe(
          secrets.map((s) => new Webhook(s).sign(id, at, body)).join(' '),
        );
      }
    }
  });

  it('is verified by a receiver holding any one of the secrets, and by none other', () => {
    const [older, current] = [secretOf(32), secretOf(32)];
    const body = bodies[2] as string;
    const headers = { ...createSigner([older, current]).sign('evt_1', new Date(), body) };
    expect(new Webhook(older).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(current).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(secretOf(32)).verify(body, headers)).toThrow();
    expect(() => new Webhook(current).verify(body + ' ', headers)).toThrow();
  });
});
