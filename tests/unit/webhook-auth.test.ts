import type { WebhookAuthConfig } from '../../src/config';
import { warnIfAuthDisabled } from '../../src/core/auth';
import { issueAccessToken } from '../../src/core/oauth';
import { authenticateWebhook } from '../../src/core/webhook-auth';
import { AuthError } from '../../src/errors';
import { recordingLogger } from '../helpers/logs';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const NOW = Date.parse('2026-12-01T12:00:00Z');
const oauth = { clientId: 'sparkpost', clientSecret: 'client-secret-0123456789' };

describe('authenticateWebhook', () => {
  const auth: WebhookAuthConfig = {
    disabled: false,
    basic: { username: 'sp', password: 'p:w' },
    token: 'tok-123',
    oauth,
    header: { name: 'X-Webhook-Key', value: 'header-secret' },
  };
  const passes = (headers: Record<string, string>, config = auth) =>
    expect(() => authenticateWebhook(headers, config, NOW)).not.toThrow();
  const refused = (headers: Record<string, string>, config = auth) =>
    expect(() => authenticateWebhook(headers, config, NOW)).toThrow(AuthError);

  it('accepts Basic credentials (passwords may contain colons) and the token in either header', () => {
    passes({ authorization: basic('sp', 'p:w') });
    passes({ Authorization: 'Bearer tok-123' });
    passes({ 'X-MessageSystems-Webhook-Token': 'tok-123' });
  });

  it('accepts an access token the token endpoint issued to the configured client', () => {
    passes({ authorization: `Bearer ${issueAccessToken(oauth, 3600, NOW)}` });
    // Only the token verifies it: no Basic, no static token configured.
    passes({ authorization: `bearer ${issueAccessToken(oauth, 3600, NOW)}` }, { disabled: false, oauth });
  });

  it('accepts the custom header whatever the case of its name, and only its exact value', () => {
    passes({ 'x-webhook-key': 'header-secret' });
    passes({ 'X-WEBHOOK-KEY': 'header-secret' });
    refused({ 'x-webhook-key': 'header-secret2' });
    refused({ 'x-webhook-key': 'Header-secret' });
    refused({ 'x-other-key': 'header-secret' });
  });

  it('during a rotation takes the previous password and header too; never a previous user name', () => {
    const rotating: WebhookAuthConfig = {
      disabled: false,
      basic: { username: 'sp', password: 'new', previousPassword: 'old' },
      header: { name: 'X-Key', value: 'new-value', previous: { name: 'X-Old-Key', value: 'old-value' } },
    };
    passes({ authorization: basic('sp', 'new') }, rotating);
    passes({ authorization: basic('sp', 'old') }, rotating);
    refused({ authorization: basic('other', 'old') }, rotating);
    passes({ 'x-key': 'new-value' }, rotating);
    passes({ 'x-old-key': 'old-value' }, rotating);
    refused({ 'x-key': 'old-value' }, rotating);
  });

  it.each([
    [{}],
    [{ authorization: basic('sp', 'wrong') }],
    [{ authorization: basic('other', 'p:w') }],
    [{ authorization: 'Bearer nope' }],
    [{ authorization: 'Basic' }],
    [{ authorization: 'tok-123' }],
  ])('refuses %p', (headers) => {
    refused(headers);
  });

  it('refuses everything when no method is configured, and nothing when disabled', () => {
    refused({ authorization: basic('a', 'b') }, { disabled: false });
    refused({ authorization: `Bearer ${issueAccessToken(oauth, 3600, NOW)}` }, { disabled: false });
    passes({}, { disabled: true });
  });
});

describe('warnIfAuthDisabled', () => {
  it('names, in one warning, what AUTH_DISABLED turned off', () => {
    const logger = recordingLogger();
    warnIfAuthDisabled(logger, { webhook: true, api: false });
    warnIfAuthDisabled(logger, { webhook: true, api: true });
    warnIfAuthDisabled(logger, { webhook: false, api: false });
    expect(logger.lines).toEqual([
      {
        level: 'warn',
        message: 'authentication is off (AUTH_DISABLED=webhook): anyone can post batches',
        authDisabled: ['webhook'],
      },
      {
        level: 'warn',
        message:
          'authentication is off (AUTH_DISABLED=webhook,api): anyone can post batches and anyone can read events and manage API keys',
        authDisabled: ['webhook', 'api'],
      },
    ]);
  });
});
