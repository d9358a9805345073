import { authenticateApi, authenticateWebhook, parseBasic } from '../../src/core/auth';
import { AuthError } from '../../src/errors';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('authenticateWebhook', () => {
  const auth = { disabled: false, basic: { username: 'sp', password: 'p:w' }, token: 'tok-123' };

  it('accepts Basic credentials (passwords may contain colons) and the token in either header', () => {
    expect(() => authenticateWebhook({ authorization: basic('sp', 'p:w') }, auth)).not.toThrow();
    expect(() => authenticateWebhook({ Authorization: 'Bearer tok-123' }, auth)).not.toThrow();
    expect(() => authenticateWebhook({ 'X-MessageSystems-Webhook-Token': 'tok-123' }, auth)).not.toThrow();
  });

  it.each([
    [{}],
    [{ authorization: basic('sp', 'wrong') }],
    [{ authorization: basic('other', 'p:w') }],
    [{ authorization: 'Bearer nope' }],
    [{ authorization: 'Basic' }],
  ])('refuses %p', (headers) => {
    expect(() => authenticateWebhook(headers, auth)).toThrow(AuthError);
  });

  it('refuses everything when no method is configured, and nothing when disabled', () => {
    expect(() => authenticateWebhook({ authorization: basic('a', 'b') }, { disabled: false })).toThrow(
      AuthError,
    );
    expect(() => authenticateWebhook({}, { disabled: true })).not.toThrow();
  });
});

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
