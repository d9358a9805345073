import crypto from 'node:crypto';
import { ADMIN } from '../../src/core/api-keys';
import { authenticateApi, parseBasic } from '../../src/core/auth';
import { AuthError } from '../../src/errors';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('authenticateApi', () => {
  const auth = { disabled: false, apiKeys: ['key-1', 'key-2', 'key-3'] };

  it('accepts a configured key as the Authorization header or as a Basic user name, like SparkPost: the admin', async () => {
    await expect(authenticateApi({ authorization: 'key-2' }, auth)).resolves.toBe(ADMIN);
    await expect(authenticateApi({ authorization: basic('key-1', '') }, auth)).resolves.toBe(ADMIN);
    expect(ADMIN.grants).toEqual(['message_events/view', 'api_keys/manage']);
    expect(ADMIN.subaccount).toBeUndefined();
  });

  it('refuses a missing or unknown key', async () => {
    await expect(authenticateApi({}, auth)).rejects.toThrow(AuthError);
    await expect(authenticateApi({ authorization: 'key-4' }, auth)).rejects.toThrow(AuthError);
  });

  it('is the admin for everyone when API authentication is off', async () => {
    await expect(authenticateApi({}, { disabled: true, apiKeys: [] })).resolves.toBe(ADMIN);
  });

  it('asks the stored keys only about a key the configuration does not hold, and takes their principal', async () => {
    const asked: string[] = [];
    const principal = { id: 'k1', grants: ['message_events/view'] as const, subaccount: 7 };
    const stored = {
      authenticate: async (key: string) => {
        asked.push(key);
        return key === 'stored-key' ? principal : undefined;
      },
    };
    await expect(authenticateApi({ authorization: 'key-1' }, auth, stored)).resolves.toBe(ADMIN);
    await expect(authenticateApi({ authorization: 'stored-key' }, auth, stored)).resolves.toBe(principal);
    await expect(authenticateApi({ authorization: 'other' }, auth, stored)).rejects.toThrow(AuthError);
    expect(asked).toEqual(['stored-key', 'other']);
  });

  it.each([
    ['the first key', 'key-1'],
    ['the last key', 'key-3'],
    ['no key', 'key-x'],
    ['a prefix of a key', 'key'],
  ])(
    'compares %s against every configured key, in constant time, without stopping at a match',
    async (_name, key) => {
      const compare = jest.spyOn(crypto, 'timingSafeEqual');
      try {
        await authenticateApi({ authorization: key }, auth).catch(() => undefined);
        expect(compare).toHaveBeenCalledTimes(auth.apiKeys.length);
        // Digests of equal length are compared, so the length of a key leaks nothing either.
        for (const [a, b] of compare.mock.calls) {
          expect((a as Buffer).length).toBe(32);
          expect((b as Buffer).length).toBe(32);
        }
      } finally {
        compare.mockRestore();
      }
    },
  );
});

describe('parseBasic', () => {
  it('returns undefined for anything that is not Basic user:password', () => {
    expect(parseBasic('Bearer x')).toBeUndefined();
    expect(parseBasic(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toBeUndefined();
  });
});
