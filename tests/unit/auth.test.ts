import { authenticateApi, parseBasic } from '../../src/core/auth';
import { AuthError } from '../../src/errors';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('authenticateApi', () => {
  const auth = { disabled: false, apiKeys: ['key-1', 'key-2'] };

  it('accepts the key as the Authorization header or as a Basic user name, like SparkPost', () => {
    expect(() => authenticateApi({ authorization: 'key-2' }, auth)).not.toThrow();
    expect(() => authenticateApi({ authorization: basic('key-1', '') }, auth)).not.toThrow();
  });

  it('refuses a missing or unknown key', () => {
    expect(() => authenticateApi({}, auth)).toThrow(AuthError);
    expect(() => authenticateApi({ authorization: 'key-3' }, auth)).toThrow(AuthError);
  });
});

describe('parseBasic', () => {
  it('returns undefined for anything that is not Basic user:password', () => {
    expect(parseBasic('Bearer x')).toBeUndefined();
    expect(parseBasic(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toBeUndefined();
  });
});
