import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveSecrets } from '../../src/aws/secrets';
import { loadConfig, type WebhookAuthConfig } from '../../src/config';
import { issueAccessToken } from '../../src/core/oauth';
import { authenticateWebhook } from '../../src/core/webhook-auth';
import { CONFIG as receiveWebhookConfig } from '../../src/handlers/receive-webhook';
import { type Json, loadTemplate, ROOT } from '../helpers/cfn-template';

/**
 * docs/SECURITY.md's AWS rotation commands, run for real on the secrets' JSON (with jq, as the commands
 * do): each first step leaves the webhook accepting the old and the new credential, each last step only
 * the new one. Only the `aws` calls around them are not run here.
 */
const DOC = readFileSync(join(ROOT, 'docs', 'SECURITY.md'), 'utf8');
const template = loadTemplate();

/** `rotate <Output> '<filter>'` lines of the document's shell blocks, in order. */
const steps = [...DOC.matchAll(/```sh\n([\s\S]*?)```/g)]
  .flatMap((block) => [...(block[1] as string).matchAll(/^rotate (\w+) '(.+)'$/gm)])
  .map((match) => ({ output: match[1] as string, filter: match[2] as string }));

/** The function's environment variable that carries the secret an output names (template.yaml). */
function arnVariableOf(output: string): string {
  const secret = template.Outputs[output].Value.Ref;
  const variables: Record<string, Json> =
    template.Resources.ReceiveWebhookFunction.Properties.Environment.Variables;
  const [name] = Object.entries(variables).find(([, value]) => value?.Ref === secret) ?? [];
  return name as string;
}

/** jq, as the document runs it: the secret's JSON on its standard input, `$new` the fresh value. */
function apply(
  filter: string,
  secret: Record<string, string>,
  value: string,
): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const child = execFile('jq', ['-c', '--arg', 'new', value, filter], (error, stdout) =>
      error ? reject(error) : resolve(JSON.parse(stdout)),
    );
    child.stdin?.end(JSON.stringify(secret));
  });
}

/** The webhook's authentication from the two secrets, as its cold start reads them. */
async function webhookAuth(secrets: Record<string, Record<string, string>>): Promise<WebhookAuthConfig> {
  const env: Record<string, string> = { BATCH_BUCKET: 'raw' };
  for (const output of Object.keys(secrets)) env[arnVariableOf(output)] = `arn:${output}`;
  const read = async (arn: string) => JSON.stringify(secrets[arn.slice('arn:'.length)]);
  const resolved = await resolveSecrets(env, receiveWebhookConfig.secrets, read);
  return loadConfig(resolved, ['webhook'], { target: 'aws' }).webhook.auth;
}

const basicHeader = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const accepts = (auth: WebhookAuthConfig, headers: Record<string, string>) => {
  try {
    authenticateWebhook(headers, auth);
    return true;
  } catch {
    return false;
  }
};

const INITIAL = {
  WebhookCredentialsSecretArn: {
    username: 'sparkpost',
    password: 'old-password-0123456789',
    header: 'X-Webhook-Key: old-header-value',
  },
  WebhookOAuthSecretArn: {
    oauth_client_id: 'sparkpost',
    oauth_client_secret: 'old-client-secret-0123456789',
  },
};

it('has an add and a drop step for the password, the OAuth client secret and the header, on the right secrets', () => {
  expect(steps.map((step) => step.output)).toEqual([
    'WebhookCredentialsSecretArn',
    'WebhookCredentialsSecretArn',
    'WebhookOAuthSecretArn',
    'WebhookOAuthSecretArn',
    'WebhookCredentialsSecretArn',
    'WebhookCredentialsSecretArn',
  ]);
  expect(arnVariableOf('WebhookCredentialsSecretArn')).toBe('WEBHOOK_SECRET_ARN');
  expect(arnVariableOf('WebhookOAuthSecretArn')).toBe('WEBHOOK_OAUTH_SECRET_ARN');
});

describe.each([
  [
    'Basic password',
    0,
    (auth: WebhookAuthConfig, value: string) =>
      accepts(auth, { authorization: basicHeader('sparkpost', value) }),
    'old-password-0123456789',
  ],
  [
    'OAuth 2.0 client secret',
    2,
    // A token keyed by a secret verifies while that secret is configured.
    (auth: WebhookAuthConfig, value: string) =>
      accepts(auth, {
        authorization: `Bearer ${issueAccessToken({ clientId: 'sparkpost', clientSecret: value }, 3600, Date.now())}`,
      }),
    'old-client-secret-0123456789',
  ],
  [
    'custom header',
    4,
    (auth: WebhookAuthConfig, value: string) => accepts(auth, { 'x-webhook-key': value }),
    'old-header-value',
  ],
] as const)('rotating the %s', (_, index, works, old) => {
  it('the first step accepts the old and the new value, the last one only the new', async () => {
    const { output, filter: add } = steps[index] as { output: keyof typeof INITIAL; filter: string };
    const { filter: drop } = steps[index + 1] as { filter: string };
    const fresh = 'NewRandomValueFromGetRandomPassword0123';
    const before = await webhookAuth(INITIAL);
    expect([works(before, old), works(before, fresh)]).toEqual([true, false]);

    const during = { ...INITIAL, [output]: await apply(add, INITIAL[output], fresh) };
    const rotating = await webhookAuth(during);
    expect([works(rotating, old), works(rotating, fresh)]).toEqual([true, true]);

    const after = { ...during, [output]: await apply(drop, during[output], fresh) };
    const done = await webhookAuth(after);
    expect([works(done, old), works(done, fresh)]).toEqual([false, true]);
    // The other credentials of the secret are untouched.
    expect(done.basic?.username).toBe('sparkpost');
    expect(done.oauth?.clientId).toBe('sparkpost');
  });
});
