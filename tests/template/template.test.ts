// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are CloudFormation Fn::Sub templates.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { RegoEngine, type StandardDiagnostic, TemplateFile } from '@aws/cloudformation-validate';
import { ROUTES } from '../../src/app';
import { resolveSecrets } from '../../src/aws/secrets';
import { type Config, loadConfig } from '../../src/config';
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

  it.each(Object.keys(functions))('%s is built by esbuild from an entry file that exists', (id) => {
    const { Metadata, Properties } = functions[id];
    expect(Metadata.BuildMethod).toBe('esbuild');
    expect(Metadata.BuildProperties).toEqual({
      Target: 'node22',
      Format: 'cjs',
      Minify: true,
      Sourcemap: true,
      EntryPoints: [expect.stringMatching(/^src\/handlers\/[a-z-]+\.ts$/)],
    });
    const [entry] = Metadata.BuildProperties.EntryPoints;
    expect(existsSync(join(ROOT, template.Globals.Function.CodeUri, entry))).toBe(true);
    // esbuild writes <entry>.js at the root of the bundle: that is the file the Handler must name.
    expect(Properties.Handler).toBe(`${basename(entry, '.ts')}.handler`);
  });

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

  it('the HTTP API is throttled, with property names SAM knows', () => {
    const api = resources.HttpApi;
    expect(api.Type).toBe('AWS::Serverless::HttpApi');
    expect(Object.keys(api.Properties).sort()).toEqual(['DefaultRouteSettings', 'FailOnWarnings']);
    expect(Object.keys(api.Properties.DefaultRouteSettings).sort()).toEqual([
      'ThrottlingBurstLimit',
      'ThrottlingRateLimit',
    ]);
    expect(template.Parameters.ApiThrottleRateLimit.Default).toBeGreaterThan(0);
  });

  it('S3 ObjectCreated under batches/ of the raw-batch bucket triggers the loader, and nothing else', () => {
    expect(events('LoadBatchFunction')).toEqual({
      RawBatchCreated: {
        Type: 'S3',
        Properties: {
          Bucket: { Ref: 'RawBatchBucket' },
          Events: 's3:ObjectCreated:*',
          Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'batches/' }] } },
        },
      },
    });
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
    expect(referencesIn(secret.Resource)).toEqual(new Set(['Database', 'ExistingDbCredentialsArn']));
  });

  it('query, maintain and migrate touch no S3 at all and read only the secrets they need', () => {
    for (const id of ['QueryEventsFunction', 'MaintainFunction', 'MigrateFunction']) {
      for (const statement of statementsOf(id)) {
        expect(asList(statement.Action)).toEqual(['secretsmanager:GetSecretValue']);
      }
    }
    expect(referencesIn(statementsOf('QueryEventsFunction')[0].Resource)).toEqual(
      new Set(['ApiKeysSecret', 'Database', 'ExistingDbCredentialsArn']),
    );
  });

  it('the VPC endpoints let through only what the functions need', () => {
    const s3 = resources.S3GatewayEndpoint.Properties.PolicyDocument.Statement;
    expect(s3.map((s: Json) => [s.Action, s.Resource])).toEqual([
      [
        's3:GetObject',
        { 'Fn::Sub': ['arn:${AWS::Partition}:s3:::${BucketName}/batches/*', { BucketName: bucketName }] },
      ],
      // MigrateFunction's answer to CloudFormation is a PUT to a pre-signed URL in this bucket family.
      [
        's3:PutObject',
        { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::cloudformation-custom-resource-response-*/*' },
      ],
    ]);
    const secrets = resources.SecretsManagerEndpoint.Properties.PolicyDocument.Statement;
    expect(secrets.map((s: Json) => s.Action)).toEqual(['secretsmanager:GetSecretValue']);
    expect(referencesIn(secrets)).toEqual(new Set(['ApiKeysSecret', 'Database']));
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

  it('have no cycle, counting the bucket notification SAM wires to the loader', () => {
    const graph = dependencyGraph();
    expect(graph.get('RawBatchBucket')).toContain('LoadBatchFunction');
    expect(findCycle(graph)).toBeUndefined();
  });

  it('the cycle check sees the classic mistake: the loader referring to its bucket', () => {
    const graph = dependencyGraph();
    graph.get('LoadBatchFunction')?.add('RawBatchBucket');
    expect(findCycle(graph)).toEqual(expect.arrayContaining(['LoadBatchFunction', 'RawBatchBucket']));
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

  it('the VPC has no route out: no internet or NAT gateway, no public subnet, only the endpoints', () => {
    const types = Object.values(resources).map((r) => r.Type);
    for (const forbidden of [
      'AWS::EC2::InternetGateway',
      'AWS::EC2::NatGateway',
      'AWS::EC2::Route',
      'AWS::EC2::EIP',
    ]) {
      expect(types).not.toContain(forbidden);
    }
    expect(resources.PrivateSubnetA.Properties.MapPublicIpOnLaunch).toBe(false);
    expect(resources.PrivateSubnetB.Properties.MapPublicIpOnLaunch).toBe(false);
    expect(resources.S3GatewayEndpoint.Properties.VpcEndpointType).toBe('Gateway');
    expect(resources.SecretsManagerEndpoint.Properties).toMatchObject({
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
    });
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

  it('functions speak TLS to PostgreSQL, trusting the RDS certificates the runtime ships', () => {
    for (const id of DB_FUNCTIONS) {
      expect(functions[id].Properties.Environment.Variables).toMatchObject({
        PG_SSL: 'true',
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      });
    }
  });

  it('the loader retries, then parks the event in SQS; its concurrency is bounded; alarms watch both', () => {
    const loader = functions.LoadBatchFunction.Properties;
    expect(loader.EventInvokeConfig).toEqual({
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
      DestinationConfig: {
        OnFailure: { Type: 'SQS', Destination: { 'Fn::GetAtt': ['LoadFailureQueue', 'Arn'] } },
      },
    });
    expect(loader.ReservedConcurrentExecutions).toEqual({
      'Fn::If': ['ReserveLoaderConcurrency', { Ref: 'LoaderReservedConcurrency' }, { Ref: 'AWS::NoValue' }],
    });
    expect(resources.LoadFailureQueueAlarm.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['LoadFailureQueue', 'QueueName'] } }],
    });
    expect(resources.LoaderErrorsAlarm.Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'LoadBatchFunction' } }],
    });
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
    expect((await coldStart('QueryEventsFunction')).api?.auth.apiKeys).toEqual(['generated-key']);
    expect((await coldStart('LoadBatchFunction')).storage?.bucket).toBe('resolved-batch_bucket');
  });

  it('MaintainFunction: partitions ahead and retention from the parameters', async () => {
    const maintenance = (await coldStart('MaintainFunction')).maintenance;
    expect(maintenance).toMatchObject({ daysAhead: 3, retentionDays: 0 });
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
