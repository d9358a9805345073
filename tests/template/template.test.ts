// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are CloudFormation Fn::Sub templates.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegoEngine, type StandardDiagnostic, TemplateFile } from '@aws/cloudformation-validate';
import { ROUTES } from '../../src/app';
import { resolveSecrets } from '../../src/aws/secrets';
import { type Config, loadConfig } from '../../src/config';
import { clientTimeoutMs } from '../../src/db/pool';
import { lambdaDb } from '../../src/handlers/lambda';
import { CONFIG as loadBatchConfig } from '../../src/handlers/load-batch';
import { CONFIG as maintainConfig } from '../../src/handlers/maintain';
import { CONFIG as migrateConfig } from '../../src/handlers/migrate';
import { CONFIG as queryEventsConfig } from '../../src/handlers/query-events';
import { CONFIG as receiveWebhookConfig } from '../../src/handlers/receive-webhook';
import {
  type Json,
  loadTemplate,
  ROOT,
  referencesIn,
  serverlessFunctions,
  TEMPLATE_PATH,
} from '../helpers/cfn-template';

/**
 * template.yaml, checked offline: AWS's validator first, then what it does not check (it does not run
 * the SAM transform, so runtimes, event sources, SAM property names, routes and IAM are tested here).
 */
const template = loadTemplate();
const resources: Record<string, Json> = template.Resources;
const functions = Object.fromEntries(serverlessFunctions(template));
const DB_FUNCTIONS = ['LoadBatchFunction', 'QueryEventsFunction', 'MaintainFunction', 'MigrateFunction'];

/** Existing-database deployment: the parameters a user gives, with well-formed ids. */
const EXISTING_DATABASE = {
  ExistingDbHost: 'events.cluster-abc.eu-west-1.rds.amazonaws.com',
  ExistingDbCredentialsArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:events-db-AbCdEf',
  ExistingVpcId: 'vpc-0123456789abcdef0',
  ExistingSubnetIds: 'subnet-0123456789abcdef0,subnet-0123456789abcdef1',
  ExistingDbSecurityGroupId: 'sg-0123456789abcdef0',
};

function statementsOf(functionId: string): Json[] {
  const policies: Json[] = functions[functionId].Properties.Policies ?? [];
  return policies.flatMap((policy) => policy.Statement ?? []);
}

function asList<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** The bucket name as the bucket spells it; places that must not reference the bucket repeat it. */
const bucketName = resources.RawBatchBucket.Properties.BucketName;

describe("AWS's offline validator (@aws/cloudformation-validate)", () => {
  let engine: InstanceType<typeof RegoEngine>;
  beforeAll(() => {
    engine = new RegoEngine();
  });
  afterAll(() => engine.free());

  // The validator does not run the SAM transform, so SAM's `!Ref Function.Version` (valid once
  // transformed) reads as a reference to an unknown resource. That one finding, and only it, is expected.
  const samVersionRef = (d: StandardDiagnostic) =>
    d.ruleId === 'F1020' &&
    d.entity?.logicalId === 'DatabaseSchema' &&
    d.propertyPath === 'Properties.CodeVersion' &&
    d.message.startsWith("'MigrateFunction.Version'");

  it.each([
    ['creating its own database (defaults)', {}],
    ['using an existing database', EXISTING_DATABASE],
    ['with the Secrets Manager endpoint and no route out', { VpcEgress: 'none' }],
    ['creating Aurora PostgreSQL Serverless v2', { DatabaseEngine: 'aurora-postgresql-serverless' }],
  ])('reports no warning, error or fatal finding when %s', (_, parameterOverrides) => {
    const report = engine.validateStandard(new TemplateFile(TEMPLATE_PATH), {
      severityLevel: 'WARN',
      parameterOverrides,
    });
    expect(report.status).toBe('OK');
    expect(report.diagnostics.filter(samVersionRef)).toHaveLength(1);
    const findings = report.diagnostics
      .filter((d) => !samVersionRef(d))
      .map((d) => `${d.severity} ${d.ruleId} ${d.entity?.logicalId} ${d.propertyPath}: ${d.message}`);
    expect(findings).toEqual([]);
  });

  it('catches what it is trusted to catch: an unknown property of a CloudFormation resource', () => {
    const text = readFileSync(TEMPLATE_PATH, 'utf8').replace(
      'BucketKeyEnabled: true',
      'BucketKeyEnable: true',
    );
    const path = join(tmpdir(), `template-broken-${process.pid}.yaml`);
    writeFileSync(path, text);
    try {
      const report = engine.validateStandard(new TemplateFile(path), { severityLevel: 'ERROR' });
      expect(report.diagnostics.map((d) => d.message).join('\n')).toContain('BucketKeyEnable');
    } finally {
      rmSync(path);
    }
  });
});

/** cfn-lint, when installed (it is on this project's machines; it is not an npm package): null otherwise. */
const cfnLint = (() => {
  const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  return probe.error ? null : 'cfn-lint';
})();
if (!cfnLint) console.warn('cfn-lint is not on PATH: the cfn-lint checks of template.yaml are skipped');

describe('cfn-lint (it runs the SAM transform, then checks CloudFormation and IAM)', () => {
  (cfnLint ? it : it.skip)('reports nothing on template.yaml (both branches of every condition)', () => {
    const result = spawnSync('cfn-lint', ['--format', 'parseable', TEMPLATE_PATH], { encoding: 'utf8' });
    expect(result.stdout.trim()).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('functions', () => {
  it('are the five the design names', () => {
    expect(Object.keys(functions).sort()).toEqual([
      'LoadBatchFunction',
      'MaintainFunction',
      'MigrateFunction',
      'QueryEventsFunction',
      'ReceiveWebhookFunction',
    ]);
  });

  it('run on nodejs22.x and arm64 (set once in Globals, never overridden)', () => {
    expect(template.Globals.Function.Runtime).toBe('nodejs22.x');
    expect(template.Globals.Function.Architectures).toEqual(['arm64']);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties.Runtime).toBeUndefined();
      expect(fn.Properties.Architectures).toBeUndefined();
    }
  });

  it.each(Object.keys(functions))(
    '%s is built by the Makefile from the entry file its Handler names',
    (id) => {
      const { Metadata, Properties } = functions[id];
      expect(Metadata).toEqual({ BuildMethod: 'makefile' });
      // scripts/build.mjs bundles src/handlers/<entry>.ts into <entry>.js at the root of the bundle.
      const [entry] = String(Properties.Handler).split('.');
      expect(Properties.Handler).toBe(`${entry}.handler`);
      expect(
        existsSync(join(ROOT, template.Globals.Function.CodeUri, 'src', 'handlers', `${entry}.ts`)),
      ).toBe(true);
      expect(readFileSync(join(ROOT, 'Makefile'), 'utf8')).toMatch(
        new RegExp(`^FUNCTIONS :=.* ${id}( |$)`, 'm'),
      );
    },
  );

  it('use only property names SAM knows (the validator does not check SAM resources)', () => {
    const known = new Set([
      'Architectures',
      'AutoPublishAlias',
      'AutoPublishAliasAllProperties',
      'CodeUri',
      'DeadLetterQueue',
      'Description',
      'Environment',
      'EphemeralStorage',
      'EventInvokeConfig',
      'Events',
      'FunctionName',
      'Handler',
      'Layers',
      'LoggingConfig',
      'MemorySize',
      'Policies',
      'ReservedConcurrentExecutions',
      'Role',
      'Runtime',
      'Tags',
      'Timeout',
      'Tracing',
      'VpcConfig',
    ]);
    const used = [
      ...Object.keys(template.Globals.Function),
      ...Object.values(functions).flatMap((fn) => Object.keys(fn.Properties)),
    ];
    expect(used.filter((name) => !known.has(name))).toEqual([]);
    for (const fn of Object.values(functions)) {
      expect(
        Object.keys(fn).filter((key) => !['Type', 'Metadata', 'Properties', 'DependsOn'].includes(key)),
      ).toEqual([]);
      if (fn.Properties.EventInvokeConfig) {
        expect(Object.keys(fn.Properties.EventInvokeConfig).sort()).toEqual([
          'DestinationConfig',
          'MaximumEventAgeInSeconds',
          'MaximumRetryAttempts',
        ]);
      }
    }
  });
});

describe('event sources', () => {
  const events = (id: string): Record<string, Json> => functions[id].Properties.Events ?? {};

  it('the HTTP API routes are exactly ROUTES of src/app.ts, each to the function that serves it', () => {
    const routed: Record<string, string[]> = {};
    for (const [id] of serverlessFunctions(template)) {
      for (const event of Object.values(events(id))) {
        if (event.Type !== 'HttpApi') continue;
        expect(event.Properties.ApiId).toEqual({ Ref: 'HttpApi' });
        expect(Object.keys(event.Properties).sort()).toEqual(['ApiId', 'Method', 'Path']);
        routed[id] = [...(routed[id] ?? []), `${event.Properties.Method} ${event.Properties.Path}`];
      }
    }
    const expected = (fn: string) =>
      ROUTES.filter((route) => route.fn === fn)
        .map((route) => `${route.method} ${route.path}`)
        .sort();
    expect(Object.keys(routed).sort()).toEqual(['QueryEventsFunction', 'ReceiveWebhookFunction']);
    expect(routed.ReceiveWebhookFunction?.sort()).toEqual(expected('receiveWebhook'));
    // Plus the catch-all: every path and method no route takes reaches the query function's app.
    expect(routed.QueryEventsFunction?.sort()).toEqual([...expected('queryEvents'), 'ANY $default'].sort());
  });

  it("routes everything else ($default, any method) to the query function, which answers SparkPost's 404/405", () => {
    const defaults = serverlessFunctions(template).flatMap(([id]) =>
      Object.values(events(id))
        .filter((event) => event.Type === 'HttpApi' && event.Properties.Path === '$default')
        .map((event) => [id, event.Properties.Method]),
    );
    expect(defaults).toEqual([['QueryEventsFunction', 'ANY']]);
  });

  /** Every route key the functions' HttpApi events declare ("METHOD /path"). */
  const routeKeys = () =>
    serverlessFunctions(template).flatMap(([id]) =>
      Object.values(events(id))
        .filter((event) => event.Type === 'HttpApi')
        .map((event) => `${event.Properties.Method} ${event.Properties.Path}`),
    );

  it('the HTTP API is throttled route by route: the webhook apart from the queries, with names SAM knows', () => {
    const api = resources.HttpApi;
    expect(api.Type).toBe('AWS::Serverless::HttpApi');
    expect(Object.keys(api.Properties).sort()).toEqual([
      'DefaultRouteSettings',
      'FailOnWarnings',
      'RouteSettings',
    ]);
    // The default covers every route without an entry: the query routes.
    expect(api.Properties.DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: { Ref: 'QueryThrottleRateLimit' },
      ThrottlingBurstLimit: { Ref: 'QueryThrottleBurstLimit' },
    });
    const settings: Record<string, Json> = api.Properties.RouteSettings;
    expect(Object.keys(settings).sort()).toEqual(['POST /oauth/token', 'POST /webhook']);
    for (const key of Object.keys(settings)) {
      expect(settings[key]).toMatchObject({
        ThrottlingRateLimit: { Ref: 'WebhookThrottleRateLimit' },
        ThrottlingBurstLimit: { Ref: 'WebhookThrottleBurstLimit' },
      });
      for (const name of Object.keys(settings[key])) {
        expect(['ThrottlingRateLimit', 'ThrottlingBurstLimit', 'DetailedMetricsEnabled']).toContain(name);
      }
    }
    for (const name of ['Webhook', 'Query'].flatMap((p) => [
      `${p}ThrottleRateLimit`,
      `${p}ThrottleBurstLimit`,
    ])) {
      expect(template.Parameters[name]).toMatchObject({ Type: 'Number', MinValue: 1 });
      expect(template.Parameters[name].Default).toBeGreaterThan(0);
    }
  });

  it('RouteSettings keys are route keys that exist (API Gateway rejects the stage otherwise; cfn-lint does not check)', () => {
    const keys = routeKeys();
    expect(keys).toContain('POST /webhook');
    for (const key of Object.keys(resources.HttpApi.Properties.RouteSettings)) expect(keys).toContain(key);
    // The webhook's routes are served by the webhook function, never by the query function.
    const queryRoutes = Object.values(events('QueryEventsFunction')).map(
      (event) => `${event.Properties.Method} ${event.Properties.Path}`,
    );
    for (const key of Object.keys(resources.HttpApi.Properties.RouteSettings))
      expect(queryRoutes).not.toContain(key);
  });

  it('the bucket notifies LoadQueue of raw batches, and LoadQueue alone feeds the loader, bounded', () => {
    expect(resources.RawBatchBucket.Properties.NotificationConfiguration).toEqual({
      QueueConfigurations: [
        {
          Event: 's3:ObjectCreated:*',
          Queue: { 'Fn::GetAtt': ['LoadQueue', 'Arn'] },
          Filter: {
            S3Key: {
              Rules: [
                { Name: 'prefix', Value: 'batches/' },
                { Name: 'suffix', Value: '.json.gz' },
              ],
            },
          },
        },
      ],
    });
    expect(events('LoadBatchFunction')).toEqual({
      RawBatchQueued: {
        Type: 'SQS',
        Properties: {
          Queue: { 'Fn::GetAtt': ['LoadQueue', 'Arn'] },
          BatchSize: 10,
          MaximumBatchingWindowInSeconds: 0,
          // Only the messages whose load failed come back (src/handlers/load-batch.ts).
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          ScalingConfig: { MaximumConcurrency: { Ref: 'LoaderMaxConcurrency' } },
        },
      },
    });
    // AWS's bounds for MaximumConcurrency: 2 to 1000.
    expect(template.Parameters.LoaderMaxConcurrency).toMatchObject({
      Type: 'Number',
      Default: 2,
      MinValue: 2,
      MaxValue: 1000,
    });
    const other = Object.entries(functions).filter(
      ([id, fn]) =>
        id !== 'LoadBatchFunction' &&
        Object.values((fn.Properties.Events ?? {}) as Record<string, Json>).some((e) => e.Type !== 'HttpApi'),
    );
    expect(other.map(([id]) => id)).toEqual(['MaintainFunction']);
  });

  it('LoadQueue keeps messages 14 days, hides them 6 × the loader timeout, then dead-letters them', () => {
    const queue = resources.LoadQueue.Properties;
    const loaderTimeout = functions.LoadBatchFunction.Properties.Timeout;
    const window = events('LoadBatchFunction').RawBatchQueued.Properties.MaximumBatchingWindowInSeconds;
    expect(queue.MessageRetentionPeriod).toBe(14 * 86_400);
    // AWS: at least six times the function's timeout (plus the batching window).
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * loaderTimeout + window);
    expect(queue.VisibilityTimeout).toBeLessThanOrEqual(43_200);
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['LoadDeadLetterQueue', 'Arn'] },
      maxReceiveCount: { Ref: 'LoaderMaxReceiveCount' },
    });
    expect(template.Parameters.LoaderMaxReceiveCount).toMatchObject({ Type: 'Number', MinValue: 1 });
    expect(template.Parameters.LoaderMaxReceiveCount.Default).toBeGreaterThanOrEqual(5);
    // SQS keeps the first enqueue time when it dead-letters: the DLQ keeps as long as the source.
    expect(resources.LoadDeadLetterQueue.Properties.MessageRetentionPeriod).toBe(14 * 86_400);
    for (const id of ['LoadQueue', 'LoadDeadLetterQueue']) {
      expect(resources[id].Properties.SqsManagedSseEnabled).toBe(true);
    }
  });

  it("LoadQueue's policy lets only this stack's bucket send, and exists before the bucket's notification", () => {
    const policy = resources.LoadQueuePolicy.Properties;
    expect(policy.Queues).toEqual([{ Ref: 'LoadQueue' }]);
    expect(policy.PolicyDocument.Statement).toEqual([
      {
        Sid: 'RawBatchBucketNotifications',
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': ['LoadQueue', 'Arn'] },
        Condition: {
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Sub': ['arn:${AWS::Partition}:s3:::${BucketName}', { BucketName: bucketName }],
            },
          },
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        },
      },
    ]);
    expect(resources.RawBatchBucket.DependsOn).toBe('LoadQueuePolicy');
  });

  it('reserves no concurrency by default (new accounts have a quota of 10); the query reserve is optional', () => {
    expect(functions.LoadBatchFunction.Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(template.Parameters.LoaderReservedConcurrency).toBeUndefined();
    for (const [id, fn] of Object.entries(functions)) {
      const reserved = fn.Properties.ReservedConcurrentExecutions;
      if (reserved === undefined) continue;
      expect(id).toBe('QueryEventsFunction');
      const [condition, value] = reserved['Fn::If'];
      expect(value).toEqual({ Ref: 'QueryReservedConcurrency' });
      expect(template.Conditions[condition]).toEqual({
        'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'QueryReservedConcurrency' }, '0'] }],
      });
    }
    expect(template.Parameters.QueryReservedConcurrency.Default).toBe(0);
  });

  it('an hourly EventBridge schedule runs maintenance; migrate has no event source but the custom resource', () => {
    expect(events('MaintainFunction')).toEqual({
      Hourly: {
        Type: 'Schedule',
        Properties: { Schedule: 'rate(1 hour)', Description: expect.any(String) },
      },
    });
    expect(events('MigrateFunction')).toEqual({});
    expect(resources.DatabaseSchema.Properties.ServiceToken).toEqual({
      'Fn::GetAtt': ['MigrateFunction', 'Arn'],
    });
  });
});

describe('least privilege', () => {
  const everyStatement = () => Object.keys(functions).flatMap((id) => statementsOf(id));

  it('policies are inline statements only: no managed policy, no SAM policy template, no wildcard', () => {
    for (const fn of Object.values(functions)) {
      for (const policy of fn.Properties.Policies ?? []) expect(Object.keys(policy)).toEqual(['Statement']);
    }
    for (const statement of everyStatement()) {
      expect(statement.Effect).toBe('Allow');
      for (const action of asList(statement.Action)) expect(action).not.toMatch(/\*/);
      for (const resource of asList(statement.Resource)) expect(resource).not.toBe('*');
    }
  });

  it('the webhook can only create objects under batches/ and read its own credentials (Basic and OAuth)', () => {
    expect(statementsOf('ReceiveWebhookFunction')).toEqual([
      {
        Sid: 'CreateRawBatches',
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: { 'Fn::Sub': '${RawBatchBucket.Arn}/batches/*' },
      },
      {
        Sid: 'ReadWebhookCredentials',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: [{ Ref: 'WebhookCredentialsSecret' }, { Ref: 'WebhookOAuthSecret' }],
      },
    ]);
  });

  it('the loader can only read objects of its bucket under batches/, and the database secret', () => {
    const [s3, secret, ...rest] = statementsOf('LoadBatchFunction');
    expect(rest).toEqual([]);
    expect(s3.Action).toBe('s3:GetObject');
    expect(s3.Resource).toEqual({
      'Fn::Sub': ['arn:${AWS::Partition}:s3:::${BucketName}/batches/*', { BucketName: bucketName }],
    });
    expect(secret.Action).toBe('secretsmanager:GetSecretValue');
    expect(referencesIn(secret.Resource)).toEqual(
      new Set(['Database', 'AuroraCluster', 'ExistingDbCredentialsArn']),
    );
  });

  it('maintenance can list the bucket under batches/ and read raw batches (reconciliation), nothing more', () => {
    const [secret, list, read, ...rest] = statementsOf('MaintainFunction');
    expect(rest).toEqual([]);
    expect(secret.Action).toBe('secretsmanager:GetSecretValue');
    expect(list).toEqual({
      Sid: 'ListRawBatches',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: { 'Fn::Sub': ['arn:${AWS::Partition}:s3:::${BucketName}', { BucketName: bucketName }] },
      Condition: { StringLike: { 's3:prefix': 'batches/*' } },
    });
    expect(read).toMatchObject({
      Action: 's3:GetObject',
      Resource: {
        'Fn::Sub': ['arn:${AWS::Partition}:s3:::${BucketName}/batches/*', { BucketName: bucketName }],
      },
    });
    expect(functions.MaintainFunction.Properties.Environment.Variables.BATCH_BUCKET).toEqual(bucketName);
  });

  it('query and migrate touch no S3 at all and read only the secrets they need', () => {
    for (const id of ['QueryEventsFunction', 'MigrateFunction']) {
      for (const statement of statementsOf(id)) {
        expect(asList(statement.Action)).toEqual(['secretsmanager:GetSecretValue']);
      }
    }
    expect(referencesIn(statementsOf('QueryEventsFunction')[0].Resource)).toEqual(
      new Set(['ApiKeysSecret', 'Database', 'AuroraCluster', 'ExistingDbCredentialsArn']),
    );
  });

  it('the VPC endpoints let through only what the functions need', () => {
    const s3 = resources.S3GatewayEndpoint.Properties.PolicyDocument.Statement;
    expect(s3.map((s: Json) => [s.Action, s.Resource])).toEqual([
      [
        's3:GetObject',
        { 'Fn::Sub': ['arn:${AWS::Partition}:s3:::${BucketName}/batches/*', { BucketName: bucketName }] },
      ],
      // MaintainFunction's reconciliation lists the bucket.
      [
        's3:ListBucket',
        { 'Fn::Sub': ['arn:${AWS::Partition}:s3:::${BucketName}', { BucketName: bucketName }] },
      ],
      // MigrateFunction's answer to CloudFormation is a PUT to a pre-signed URL in this bucket family.
      [
        's3:PutObject',
        { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::cloudformation-custom-resource-response-*/*' },
      ],
    ]);
    const secrets = resources.SecretsManagerEndpoint.Properties.PolicyDocument.Statement;
    expect(secrets.map((s: Json) => s.Action)).toEqual(['secretsmanager:GetSecretValue']);
    expect(referencesIn(secrets)).toEqual(new Set(['ApiKeysSecret', 'Database', 'AuroraCluster']));
  });
});

describe('raw-batch bucket', () => {
  const bucket = resources.RawBatchBucket;
  const policy = resources.RawBatchBucketPolicy.Properties.PolicyDocument.Statement;

  it('is private, encrypted and kept when the stack is deleted', () => {
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    expect(
      bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault,
    ).toEqual({ SSEAlgorithm: 'AES256' });
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.UpdateReplacePolicy).toBe('Retain');
    expect(policy.filter((s: Json) => s.Effect === 'Allow')).toEqual([]);
  });

  it('refuses plain HTTP, and PUTs to batches/ that are not conditional (raw batches are never overwritten)', () => {
    expect(policy).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    expect(policy).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:PutObject',
        Resource: { 'Fn::Sub': '${RawBatchBucket.Arn}/batches/*' },
        Condition: { Null: { 's3:if-none-match': 'true' } },
      }),
    );
  });

  it('moves old raw batches to a cheaper storage class', () => {
    const rule = bucket.Properties.LifecycleConfiguration.Rules.find(
      (r: Json) => r.Id === 'ArchiveRawBatches',
    );
    expect(rule).toMatchObject({
      Status: 'Enabled',
      Prefix: 'batches/',
      Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: { Ref: 'RawBatchArchiveDays' } }],
    });
  });

  it('has a name every place that cannot reference it spells the same way', () => {
    const loader = functions.LoadBatchFunction.Properties.Environment.Variables;
    expect(loader.BATCH_BUCKET).toEqual(bucketName);
    expect(JSON.stringify(bucketName)).toContain('AWS::StackId');
    expect(JSON.stringify(bucketName)).toContain('AWS::AccountId');
  });
});

describe('dependencies', () => {
  /** Resource → resources it needs first, with the edges SAM adds when it expands the functions. */
  function dependencyGraph(): Map<string, Set<string>> {
    const graph = new Map<string, Set<string>>();
    for (const [id, resource] of Object.entries(resources)) {
      const { Events: _events, ...properties } = resource.Properties ?? {};
      const needs = referencesIn(properties);
      for (const dependency of asList(resource.DependsOn ?? [])) needs.add(dependency);
      graph.set(id, new Set([...needs].filter((name) => name in resources)));
    }
    for (const [id, fn] of serverlessFunctions(template)) {
      for (const event of Object.values((fn.Properties.Events ?? {}) as Record<string, Json>)) {
        // SAM puts the notification on the bucket, and the route in the HTTP API: they need the function.
        if (event.Type === 'S3') graph.get(event.Properties.Bucket.Ref)?.add(id);
        if (event.Type === 'HttpApi') graph.get(event.Properties.ApiId.Ref)?.add(id);
      }
    }
    return graph;
  }

  function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
    const state = new Map<string, 'visiting' | 'done'>();
    const path: string[] = [];
    const visit = (node: string): string[] | undefined => {
      if (state.get(node) === 'done') return undefined;
      if (state.get(node) === 'visiting') return [...path.slice(path.indexOf(node)), node];
      state.set(node, 'visiting');
      path.push(node);
      for (const next of graph.get(node) ?? []) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
      path.pop();
      state.set(node, 'done');
      return undefined;
    };
    for (const node of graph.keys()) {
      const cycle = visit(node);
      if (cycle) return cycle;
    }
    return undefined;
  }

  it('have no cycle, counting the bucket notification to LoadQueue and its policy', () => {
    const graph = dependencyGraph();
    expect(graph.get('RawBatchBucket')).toEqual(new Set(['LoadQueue', 'LoadQueuePolicy']));
    expect(findCycle(graph)).toBeUndefined();
  });

  it("the cycle check sees the classic mistake: the queue policy referring to the bucket's ARN", () => {
    const graph = dependencyGraph();
    graph.get('LoadQueuePolicy')?.add('RawBatchBucket');
    expect(findCycle(graph)).toEqual(expect.arrayContaining(['LoadQueuePolicy', 'RawBatchBucket']));
  });

  it('the schema is migrated before anything uses the database, after the network it needs exists', () => {
    for (const id of ['LoadBatchFunction', 'QueryEventsFunction', 'MaintainFunction']) {
      expect(functions[id].DependsOn).toBe('DatabaseSchema');
    }
    const schema = resources.DatabaseSchema.Properties;
    expect(referencesIn(schema.Network)).toEqual(
      new Set([
        'S3GatewayEndpoint',
        'SecretsManagerEndpoint',
        'Ipv6EgressRoute',
        'PrivateSubnetARouteTable',
        'PrivateSubnetBRouteTable',
      ]),
    );
  });

  it('the schema custom resource is updated whenever MigrateFunction gets new code (sql/ is in the code)', () => {
    expect(functions.MigrateFunction.Properties.AutoPublishAlias).toBe('live');
    expect(functions.MigrateFunction.Properties.AutoPublishAliasAllProperties).toBe(true);
    expect(resources.DatabaseSchema.Properties.CodeVersion).toEqual({ Ref: 'MigrateFunction.Version' });
    expect(resources.DatabaseSchema.Properties.ServiceTimeout).toBeGreaterThan(
      functions.MigrateFunction.Properties.Timeout,
    );
  });
});

describe('network and database', () => {
  it('the webhook runs outside the VPC; every function that uses the database inside it', () => {
    expect(functions.ReceiveWebhookFunction.Properties.VpcConfig).toBeUndefined();
    for (const id of DB_FUNCTIONS) expect(functions[id].Properties.VpcConfig).toBeDefined();
  });

  it('the VPC has no way in and no IPv4 way out: no internet or NAT gateway, no public subnet or address', () => {
    const types = Object.values(resources).map((r) => r.Type);
    for (const forbidden of ['AWS::EC2::InternetGateway', 'AWS::EC2::NatGateway', 'AWS::EC2::EIP']) {
      expect(types).not.toContain(forbidden);
    }
    expect(resources.PrivateSubnetA.Properties.MapPublicIpOnLaunch).toBe(false);
    expect(resources.PrivateSubnetB.Properties.MapPublicIpOnLaunch).toBe(false);
    expect(resources.S3GatewayEndpoint.Properties.VpcEndpointType).toBe('Gateway');
    // The one route out: IPv6 through an egress-only gateway (connections out, none in).
    const routes = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::EC2::Route');
    expect(routes.map(([id]) => id)).toEqual(['Ipv6EgressRoute']);
    expect(resources.Ipv6EgressRoute).toMatchObject({
      Condition: 'SecretsOverIpv6',
      Properties: {
        DestinationIpv6CidrBlock: '::/0',
        EgressOnlyInternetGatewayId: { Ref: 'EgressOnlyGateway' },
      },
    });
    expect(resources.EgressOnlyGateway.Type).toBe('AWS::EC2::EgressOnlyInternetGateway');
    expect(resources.Ipv6EgressRoute.Properties.DestinationCidrBlock).toBeUndefined();
  });

  it('Secrets Manager without the $7.30 interface endpoint by default: over IPv6 (VpcEgress=ipv6), or the endpoint (none)', () => {
    expect(template.Parameters.VpcEgress).toMatchObject({ Default: 'ipv6', AllowedValues: ['ipv6', 'none'] });
    expect(template.Conditions.SecretsOverIpv6).toEqual({
      'Fn::And': [{ Condition: 'CreateDatabase' }, { 'Fn::Equals': [{ Ref: 'VpcEgress' }, 'ipv6'] }],
    });
    expect(template.Conditions.SecretsThroughEndpoint).toEqual({
      'Fn::And': [{ Condition: 'CreateDatabase' }, { 'Fn::Equals': [{ Ref: 'VpcEgress' }, 'none'] }],
    });
    for (const id of ['EgressOnlyGateway', 'Ipv6EgressRoute'])
      expect(resources[id].Condition).toBe('SecretsOverIpv6');
    for (const id of ['SecretsManagerEndpoint', 'EndpointSecurityGroup']) {
      expect(resources[id].Condition).toBe('SecretsThroughEndpoint');
    }
    expect(resources.SecretsManagerEndpoint.Properties).toMatchObject({
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
    });
    // Dual-stack subnets, and functions allowed to use IPv6 when the route exists.
    for (const subnet of ['PrivateSubnetA', 'PrivateSubnetB']) {
      expect(resources[subnet].DependsOn).toBe('VpcIpv6Block');
      expect(JSON.stringify(resources[subnet].Properties.Ipv6CidrBlock)).toContain('Ipv6CidrBlocks');
    }
    for (const id of DB_FUNCTIONS) {
      expect(functions[id].Properties.VpcConfig.Ipv6AllowedForDualStack).toEqual({
        'Fn::If': ['SecretsOverIpv6', true, false],
      });
    }
    // Out over IPv6 only on 443.
    const ipv6Egress = resources.LambdaSecurityGroup.Properties.SecurityGroupEgress.filter(
      (rule: Json) => rule.CidrIpv6 !== undefined,
    );
    expect(ipv6Egress).toEqual([expect.objectContaining({ CidrIpv6: '::/0', FromPort: 443, ToPort: 443 })]);
  });

  it('the database is private, encrypted, free-tier by default, its password managed by RDS', () => {
    const db = resources.Database.Properties;
    expect(db).toMatchObject({
      Engine: 'postgres',
      StorageType: 'gp3',
      StorageEncrypted: true,
      PubliclyAccessible: false,
      ManageMasterUserPassword: true,
      DeletionProtection: { Ref: 'DbDeletionProtection' },
    });
    expect(db.MasterUserPassword).toBeUndefined();
    expect(template.Parameters.DbInstanceClass.Default).toBe('db.t4g.micro');
    expect(template.Parameters.DbAllocatedStorageGb.Default).toBe(20);
    expect(template.Parameters.DbDeletionProtection.Default).toBe('true');
    expect(resources.Database.DeletionPolicy).toBe('Snapshot');
    expect(resources.DatabaseSecurityGroup.Properties.SecurityGroupIngress).toEqual([
      expect.objectContaining({ FromPort: 5432, SourceSecurityGroupId: { Ref: 'LambdaSecurityGroup' } }),
    ]);
  });

  it('the database never sets AvailabilityZone: Multi-AZ turns on and off in place (with one, off replaces it)', () => {
    for (const resource of Object.values(resources)) {
      if (resource.Type === 'AWS::RDS::DBInstance')
        expect(resource.Properties.AvailabilityZone).toBeUndefined();
    }
    expect(resources.Database.Properties.MultiAZ).toEqual({ Ref: 'DbMultiAz' });
  });

  it("uses the stack's own parameter group, of its engine version's family: partition locks, slow statements, TLS", () => {
    expect(resources.Database.Properties.DBParameterGroupName).toEqual({ Ref: 'DatabaseParameterGroup' });
    const group = resources.DatabaseParameterGroup;
    expect(group.Type).toBe('AWS::RDS::DBParameterGroup');
    expect(group.Condition).toBe(resources.Database.Condition);
    // The family follows the major version (a major upgrade brings a group of the new family along).
    expect(group.Properties.Family).toEqual({ 'Fn::Sub': 'postgres${DbEngineVersion}' });
    expect(template.Parameters.DbEngineVersion.AllowedPattern).toBe('^[0-9]+$');
    expect(template.Parameters.DbEngineVersion.Default).toMatch(/^[0-9]+$/);
    expect(resources.Database.Properties.EngineVersion).toEqual({ Ref: 'DbEngineVersion' });
    expect(Number(group.Properties.Parameters.max_locks_per_transaction)).toBeGreaterThan(64);
    expect(Number(group.Properties.Parameters.log_min_duration_statement)).toBeGreaterThan(0);
    expect(group.Properties.Parameters['rds.force_ssl']).toBe('1');
  });

  it('the query function runs as the read-only events_reader, its statements cancelled before Lambda or API Gateway give up', () => {
    const query = functions.QueryEventsFunction.Properties;
    expect(query.Environment.Variables.PG_ROLE).toBe('events_reader');
    const timeoutMs = (query.Timeout ?? template.Globals.Function.Timeout) * 1000;
    const statementMs = Number(query.Environment.Variables.PG_STATEMENT_TIMEOUT_MS);
    expect(statementMs).toBeGreaterThan(0);
    // The server cancels at statementMs; the client gives up on a silent server a little later: both
    // before the function times out, and before the HTTP API's 30 s integration limit.
    expect(clientTimeoutMs(statementMs)).toBeLessThan(timeoutMs);
    expect(clientTimeoutMs(statementMs)).toBeLessThan(30_000);
    expect(readFileSync(join(ROOT, 'sql', '007_query_role.sql'), 'utf8')).toContain(
      'CREATE ROLE events_reader',
    );
  });

  it('functions speak TLS to PostgreSQL, trusting the RDS certificates the runtime ships', () => {
    for (const id of DB_FUNCTIONS) {
      expect(functions[id].Properties.Environment.Variables).toMatchObject({
        PG_SSL: 'true',
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      });
    }
  });

  it('alarms watch the dead-letter queue and the loader errors', () => {
    expect(resources.LoadFailureQueueAlarm.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['LoadDeadLetterQueue', 'QueueName'] } }],
    });
    expect(resources.LoaderErrorsAlarm.Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'LoadBatchFunction' } }],
    });
  });
});

describe('DatabaseEngine: RDS for PostgreSQL (default) or Aurora PostgreSQL Serverless v2, same schema', () => {
  /** The value of `value` once the conditions are decided (Fn::If resolved), other intrinsics kept. */
  function decide(value: Json, conditions: Record<string, boolean>): Json {
    if (Array.isArray(value)) return value.map((item) => decide(item, conditions));
    if (value && typeof value === 'object') {
      if ('Fn::If' in value) {
        const [condition, yes, no] = value['Fn::If'];
        if (!(condition in conditions)) throw new Error(`undecided condition ${condition}`);
        return decide(conditions[condition] ? yes : no, conditions);
      }
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decide(v, conditions)]));
    }
    return value;
  }
  const RDS = { CreateDatabase: true, UseAurora: false };
  const AURORA = { CreateDatabase: true, UseAurora: true };

  it('is a parameter with the RDS instance as default; each engine has its own resources', () => {
    expect(template.Parameters.DatabaseEngine).toMatchObject({
      Default: 'postgres',
      AllowedValues: ['postgres', 'aurora-postgresql-serverless'],
    });
    expect(template.Conditions.UseAurora).toEqual({
      'Fn::And': [
        { Condition: 'CreateDatabase' },
        { 'Fn::Equals': [{ Ref: 'DatabaseEngine' }, 'aurora-postgresql-serverless'] },
      ],
    });
    for (const id of ['Database', 'DatabaseParameterGroup'])
      expect(resources[id].Condition).toBe('CreateRdsInstance');
    for (const id of ['AuroraCluster', 'AuroraWriter', 'AuroraClusterParameterGroup']) {
      expect(resources[id].Condition).toBe('UseAurora');
    }
  });

  it('Aurora: a Serverless v2 cluster (no EngineMode), its writer db.serverless, as private and safe as the instance', () => {
    const cluster = resources.AuroraCluster;
    expect(cluster.DeletionPolicy).toBe('Snapshot');
    expect(cluster.Properties).toMatchObject({
      Engine: 'aurora-postgresql',
      EngineVersion: { Ref: 'DbEngineVersion' },
      DatabaseName: 'events',
      MasterUsername: 'events_admin',
      ManageMasterUserPassword: true,
      StorageEncrypted: true,
      DBSubnetGroupName: { Ref: 'DatabaseSubnetGroup' },
      DeletionProtection: { Ref: 'DbDeletionProtection' },
      DBClusterParameterGroupName: { Ref: 'AuroraClusterParameterGroup' },
      ServerlessV2ScalingConfiguration: {
        MinCapacity: { Ref: 'AuroraMinCapacity' },
        MaxCapacity: { Ref: 'AuroraMaxCapacity' },
        SecondsUntilAutoPause: 300,
      },
    });
    expect(cluster.Properties.EngineMode).toBeUndefined();
    expect(cluster.Properties.MasterUserPassword).toBeUndefined();
    expect(resources.AuroraWriter.Properties).toMatchObject({
      Engine: 'aurora-postgresql',
      DBClusterIdentifier: { Ref: 'AuroraCluster' },
      DBInstanceClass: 'db.serverless',
      PubliclyAccessible: false,
    });
    expect(resources.AuroraClusterParameterGroup.Properties.Family).toEqual({
      'Fn::Sub': 'aurora-postgresql${DbEngineVersion}',
    });
    expect(resources.AuroraClusterParameterGroup.Properties.Parameters).toEqual(
      resources.DatabaseParameterGroup.Properties.Parameters,
    );
    expect(template.Parameters.AuroraMinCapacity.MinValue).toBe(0);
  });

  it.each(DB_FUNCTIONS)('%s: writer host, port and secret of the engine chosen', (id) => {
    const variables = functions[id].Properties.Environment.Variables;
    expect(decide(variables.DB_HOST, RDS)).toEqual({ 'Fn::GetAtt': ['Database', 'Endpoint.Address'] });
    expect(decide(variables.DB_HOST, AURORA)).toEqual({
      'Fn::GetAtt': ['AuroraCluster', 'Endpoint.Address'],
    });
    expect(decide(variables.DB_PORT, AURORA)).toEqual({ 'Fn::GetAtt': ['AuroraCluster', 'Endpoint.Port'] });
    expect(decide(variables.DB_SECRET_ARN, AURORA)).toEqual({
      'Fn::GetAtt': ['AuroraCluster', 'MasterUserSecret.SecretArn'],
    });
    expect(JSON.stringify(decide(statementsOf(id), AURORA))).toContain('AuroraCluster');
    expect(JSON.stringify(decide(statementsOf(id), AURORA))).not.toContain('"Database"');
  });

  it('the query function reads events through the reader endpoint on Aurora, and needs no reader host on RDS', () => {
    const variables = functions.QueryEventsFunction.Properties.Environment.Variables;
    expect(decide(variables.DB_READ_HOST, AURORA)).toEqual({
      'Fn::GetAtt': ['AuroraCluster', 'ReadEndpoint.Address'],
    });
    expect(decide(variables.DB_READ_HOST, RDS)).toEqual({ Ref: 'AWS::NoValue' });
  });

  it('the schema is migrated once the Aurora writer exists, on the host of the engine chosen', () => {
    const schema = resources.DatabaseSchema.Properties;
    expect(decide(schema.DatabaseInstance, AURORA)).toEqual({ Ref: 'AuroraWriter' });
    expect(decide(schema.DatabaseHost, AURORA)).toEqual({
      'Fn::GetAtt': ['AuroraCluster', 'Endpoint.Address'],
    });
  });
});

describe('alarms: all to the one SNS topic, e-mailed to AlarmEmail when given', () => {
  const alarms = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');
  const alarm = (id: string) => resources[id].Properties;

  it('every alarm notifies the topic, on alarm and back to OK', () => {
    expect(alarms.length).toBeGreaterThan(5);
    for (const [, resource] of alarms) {
      expect(resource.Properties.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
      expect(resource.Properties.OKActions).toEqual([{ Ref: 'AlarmTopic' }]);
      expect(resource.Properties.AlarmDescription).toEqual(expect.any(String));
    }
  });

  it('AlarmEmail: subscribed only when set, a plain address, and an output that says when nobody reads them', () => {
    expect(template.Parameters.AlarmEmail.Default).toBe('');
    const pattern = new RegExp(template.Parameters.AlarmEmail.AllowedPattern);
    expect(['', 'ops@example.com'].every((value) => pattern.test(value))).toBe(true);
    expect(['not an address', 'a@b@c'].some((value) => pattern.test(value))).toBe(false);
    expect(resources.AlarmEmailSubscription).toMatchObject({
      Condition: 'HasAlarmEmail',
      Properties: { Protocol: 'email', Endpoint: { Ref: 'AlarmEmail' }, TopicArn: { Ref: 'AlarmTopic' } },
    });
    expect(template.Outputs.AlarmsUnread.Condition).toBe('NoAlarmEmail');
  });

  it('webhook 4xx on its route (detailed metrics on POST /webhook only), and 5xx of the whole API', () => {
    expect(alarm('WebhookClientErrorsAlarm')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '4xx',
      Dimensions: [
        { Name: 'ApiId', Value: { Ref: 'HttpApi' } },
        { Name: 'Stage', Value: '$default' },
        { Name: 'Route', Value: 'POST /webhook' },
      ],
    });
    expect(resources.HttpApi.Properties.RouteSettings['POST /webhook'].DetailedMetricsEnabled).toBe(true);
    expect(resources.HttpApi.Properties.DefaultRouteSettings.DetailedMetricsEnabled).toBeUndefined();
    expect(alarm('ApiServerErrorsAlarm')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: { Ref: 'HttpApi' } }],
    });
  });

  it('the loader queue: age of its oldest raw batch, and dead letters', () => {
    expect(alarm('LoadQueueAgeAlarm')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['LoadQueue', 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanThreshold',
    });
    const deadLetters = alarms.filter(
      ([, r]) =>
        r.Properties.MetricName === 'ApproximateNumberOfMessagesVisible' &&
        JSON.stringify(r.Properties.Dimensions) ===
          JSON.stringify([
            { Name: 'QueueName', Value: { 'Fn::GetAtt': ['LoadDeadLetterQueue', 'QueueName'] } },
          ]),
    );
    expect(deadLetters).toHaveLength(1);
  });

  it('maintenance errors', () => {
    expect(alarm('MaintainErrorsAlarm')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'MaintainFunction' } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
  });

  it('RDS: free storage (in GiB, from a parameter), CPU credits (T classes only), connections', () => {
    const storage = alarm('DatabaseFreeStorageAlarm');
    expect(resources.DatabaseFreeStorageAlarm.Condition).toBe('CreateRdsInstance');
    expect(storage.Metrics[0].MetricStat.Metric).toEqual({
      Namespace: 'AWS/RDS',
      MetricName: 'FreeStorageSpace',
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: { Ref: 'Database' } }],
    });
    expect(storage.Metrics[1]).toMatchObject({ Expression: 'free / 1073741824', ReturnData: true });
    expect(storage).toMatchObject({
      Threshold: { Ref: 'DbFreeStorageAlarmGb' },
      ComparisonOperator: 'LessThanThreshold',
    });
    expect(resources.DatabaseCpuCreditsAlarm.Condition).toBe('WatchCpuCredits');
    expect(JSON.stringify(template.Conditions.WatchCpuCredits)).toContain('"t4g"');
    expect(alarm('DatabaseCpuCreditsAlarm')).toMatchObject({
      MetricName: 'CPUCreditBalance',
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: { Ref: 'Database' } }],
      ComparisonOperator: 'LessThanThreshold',
    });
    expect(alarm('DatabaseConnectionsAlarm')).toMatchObject({
      MetricName: 'DatabaseConnections',
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: { Ref: 'Database' } }],
      Threshold: { Ref: 'DbConnectionsAlarmThreshold' },
    });
  });

  it('Aurora: connections and capacity of the cluster instead', () => {
    for (const id of ['AuroraConnectionsAlarm', 'AuroraCapacityAlarm']) {
      expect(resources[id].Condition).toBe('UseAurora');
      expect(alarm(id).Dimensions).toEqual([
        { Name: 'DBClusterIdentifier', Value: { Ref: 'AuroraCluster' } },
      ]);
    }
    expect(alarm('AuroraCapacityAlarm').MetricName).toBe('ACUUtilization');
  });

  it('at most 10 alarms for a default deploy (CloudWatch bills alarms past the 10 free ones)', () => {
    const defaults = alarms.filter(
      ([, r]) => r.Condition === undefined || ['CreateRdsInstance', 'WatchCpuCredits'].includes(r.Condition),
    );
    expect(defaults.length).toBeLessThanOrEqual(10);
  });
});

describe('secrets', () => {
  const secretLike = /pass(word)?|secret|token|api_?keys?|credential/i;

  it('no parameter carries a secret: secret-sounding ones are ARNs, and no default looks like a key', () => {
    for (const [name, parameter] of Object.entries(template.Parameters as Record<string, Json>)) {
      if (secretLike.test(name)) {
        expect(name).toMatch(/Arn$/);
        expect(parameter.Default).toBe('');
      }
      expect(String(parameter.Default ?? '')).not.toMatch(/^[A-Za-z0-9+/=_-]{20,}$/);
    }
  });

  it('no environment variable holds a secret: only ARNs of secrets, never a resolved value', () => {
    const environments = [
      template.Globals.Function.Environment.Variables,
      ...Object.values(functions).map((fn) => fn.Properties.Environment?.Variables ?? {}),
    ];
    for (const variables of environments) {
      for (const [name, value] of Object.entries(variables as Record<string, Json>)) {
        if (secretLike.test(name)) expect(name).toMatch(/_ARN$/);
        expect(JSON.stringify(value)).not.toContain('{{resolve:');
      }
    }
    expect(readFileSync(TEMPLATE_PATH, 'utf8')).not.toContain('{{resolve:');
  });

  it('webhook credentials and API keys are generated into Secrets Manager, not typed in', () => {
    expect(resources.WebhookCredentialsSecret.Properties.GenerateSecretString).toMatchObject({
      GenerateStringKey: 'password',
      PasswordLength: 32,
    });
    // The OAuth client secret also keys the access tokens: 40 random letters and digits (~238 bits).
    expect(resources.WebhookOAuthSecret.Properties.GenerateSecretString).toEqual({
      SecretStringTemplate: '{"oauth_client_id": "sparkpost"}',
      GenerateStringKey: 'oauth_client_secret',
      PasswordLength: 40,
      ExcludePunctuation: true,
    });
    expect(resources.ApiKeysSecret.Properties.GenerateSecretString).toMatchObject({
      GenerateStringKey: 'api_keys',
      PasswordLength: 40,
    });
    for (const output of Object.values(template.Outputs as Record<string, Json>)) {
      expect(referencesIn(output.Value).size).toBeGreaterThan(0);
      expect(JSON.stringify(output.Value)).not.toContain('SecretString');
    }
  });
});

describe('cold start: each function environment satisfies the configuration its handler reads', () => {
  /** Environment values as a deploy would resolve them: intrinsics become plausible strings. */
  function deployedEnvironment(id: string): Record<string, string> {
    const variables: Record<string, Json> = {
      ...template.Globals.Function.Environment.Variables,
      ...functions[id].Properties.Environment.Variables,
    };
    return Object.fromEntries(
      Object.entries(variables).map(([name, value]) => {
        if (typeof value === 'string') return [name, value];
        const parameter = template.Parameters?.[value?.Ref];
        if (parameter?.Default !== undefined) return [name, String(parameter.Default)];
        if (name === 'DB_PORT') return [name, '5432'];
        if (name.endsWith('_ARN'))
          return [name, `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}`];
        return [name, `resolved-${name.toLowerCase()}`];
      }),
    );
  }
  const secrets: Record<string, string> = {
    WEBHOOK_SECRET_ARN: JSON.stringify({ username: 'sparkpost', password: 'generated' }),
    WEBHOOK_OAUTH_SECRET_ARN: JSON.stringify({
      oauth_client_id: 'sparkpost',
      oauth_client_secret: 'generated-oauth-client-secret-0123456789',
    }),
    API_KEYS_SECRET_ARN: JSON.stringify({ api_keys: 'generated-key' }),
    DB_SECRET_ARN: JSON.stringify({ username: 'events_admin', password: 'managed' }),
  };
  const readSecret = async (arn: string) => secrets[arn.split(':').pop() as string] as string;

  const HANDLERS = {
    ReceiveWebhookFunction: receiveWebhookConfig,
    LoadBatchFunction: loadBatchConfig,
    QueryEventsFunction: queryEventsConfig,
    MaintainFunction: maintainConfig,
    MigrateFunction: migrateConfig,
  } as const;
  async function coldStart(id: keyof typeof HANDLERS) {
    const { sections, secrets: arns } = HANDLERS[id];
    const env = await resolveSecrets(deployedEnvironment(id), arns, readSecret);
    return loadConfig(env, sections, { target: 'aws' }) as Partial<Config>;
  }

  it('every function is one of the handlers, with the sections and secrets its cold start reads', () => {
    expect(Object.keys(functions).sort()).toEqual(Object.keys(HANDLERS).sort());
  });

  it('ReceiveWebhookFunction: bucket, webhook credentials from their secret, body limit', async () => {
    const config = await coldStart('ReceiveWebhookFunction');
    expect(config.storage?.bucket).toBe('resolved-batch_bucket');
    expect(config.webhook?.auth.basic).toEqual({ username: 'sparkpost', password: 'generated' });
    expect(config.webhook?.auth.oauth).toEqual({
      clientId: 'sparkpost',
      clientSecret: 'generated-oauth-client-secret-0123456789',
    });
    expect(config.webhook?.tokenTtlSeconds).toBe(3600);
    expect(config.webhook?.maxBatchBytes).toBe(5 * 1024 * 1024);
  });

  it.each(DB_FUNCTIONS)('%s: the database from host, port, name and the RDS secret', async (id) => {
    const config = await coldStart(id as keyof typeof HANDLERS);
    expect(config.db).toMatchObject({ host: 'resolved-db_host', port: 5432, ssl: true });
    expect(config.db?.secretArn).toMatch(/DB_SECRET_ARN$/);
    const db = await lambdaDb(config.db as Config['db'], readSecret);
    await db.end();
  });

  it('QueryEventsFunction: API keys from their secret; LoadBatchFunction: its bucket', async () => {
    const query = await coldStart('QueryEventsFunction');
    expect(query.api?.auth.apiKeys).toEqual(['generated-key']);
    expect(query.db).toMatchObject({ role: 'events_reader', readHost: 'resolved-db_read_host' });
    expect((await coldStart('LoadBatchFunction')).storage?.bucket).toBe('resolved-batch_bucket');
  });

  it('MaintainFunction: partitions ahead, retention, the reconciliation window and its bucket', async () => {
    const config = await coldStart('MaintainFunction');
    expect(config.maintenance).toMatchObject({ daysAhead: 3, retentionDays: 0, reconcileDays: 14 });
    expect(config.storage?.bucket).toBe('resolved-batch_bucket');
  });
});

describe('template text and outputs', () => {
  it('gives every resource a one-line comment', () => {
    const lines = readFileSync(TEMPLATE_PATH, 'utf8').split('\n');
    const start = lines.indexOf('Resources:');
    const end = lines.indexOf('Outputs:');
    const uncommented: string[] = [];
    for (let i = start + 1; i < end; i += 1) {
      const match = /^ {2}([A-Za-z0-9]+):$/.exec(lines[i] as string);
      if (!match) continue;
      let previous = i - 1;
      while ((lines[previous] as string).trim() === '') previous -= 1;
      if (!(lines[previous] as string).trim().startsWith('#')) uncommented.push(match[1] as string);
    }
    expect(uncommented).toEqual([]);
    expect(Object.keys(resources).length).toBeGreaterThan(20);
  });

  it('outputs the webhook URL, the OAuth token URL and the query API base URL of the HTTP API', () => {
    expect(template.Outputs.WebhookUrl.Value).toEqual({
      'Fn::Sub': 'https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/webhook',
    });
    expect(template.Outputs.WebhookOAuthTokenUrl.Value).toEqual({
      'Fn::Sub': 'https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/oauth/token',
    });
    expect(template.Outputs.QueryApiUrl.Value).toEqual({
      'Fn::Sub': 'https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}',
    });
  });

  it('samconfig.toml deploys with the capabilities SAM needs and asks before changing the stack', () => {
    const config = readFileSync(join(ROOT, 'samconfig.toml'), 'utf8');
    expect(config).toMatch(/^capabilities = "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND"$/m);
    expect(config).toMatch(/^resolve_s3 = true$/m);
    expect(config).toMatch(/^confirm_changeset = true$/m);
    expect(config).toMatch(/^stack_name = "sparkpost-event-db"$/m);
  });
});
