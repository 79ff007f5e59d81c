import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findProfile, loadAwsConfigFiles, type AwsConfigFiles, type Profile } from '../../../src/aws/config';
import { resolveRegion, resolveServiceEndpointUrl, resolveStsSettings } from '../../../src/aws/settings';
import { ExitCode } from '../../../src/errors';
import type { Env } from '../../../src/ports';
import { CONFIG_PATH, HOME, MemoryFiles, dedent } from '../../helpers/fake-deps';

function setup(config: string, name = 'dev'): { files: AwsConfigFiles; profile: Profile | undefined } {
  const files = loadAwsConfigFiles({
    env: {},
    homedir: HOME,
    files: new MemoryFiles({ [CONFIG_PATH]: dedent(config) }),
  });
  return { files, profile: findProfile(files, name) };
}

describe('resolveRegion', () => {
  const { profile } = setup('[profile dev]\nregion = eu-central-1');
  // docs/reference.md §2 (the SDKs, AWS CLI v2 and aws-iam-authenticator): --region, AWS_REGION,
  // AWS_DEFAULT_REGION, the profile. AWS CLI v1 reads only AWS_DEFAULT_REGION from the environment.
  const rows: { flag?: string; env: Env; region: string; source: string }[] = [
    {
      flag: 'us-west-2',
      env: { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-2' },
      region: 'us-west-2',
      source: '--region',
    },
    { env: { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-2' }, region: 'eu-west-1', source: 'AWS_REGION' },
    { env: { AWS_DEFAULT_REGION: 'eu-west-2' }, region: 'eu-west-2', source: 'AWS_DEFAULT_REGION' },
    { env: { AWS_REGION: '', AWS_DEFAULT_REGION: '' }, region: 'eu-central-1', source: 'profile "dev"' },
    { env: {}, region: 'eu-central-1', source: 'profile "dev"' },
  ];
  for (const row of rows) {
    test(`${row.flag ? `--region ${row.flag}, ` : ''}${JSON.stringify(row.env)} → ${row.region} from ${row.source}`, () => {
      assert.deepEqual(resolveRegion(row.flag, row.env, profile), { region: row.region, source: row.source });
    });
  }

  test('without any region fails with exit 3 and a hint naming the profile section', () => {
    const { profile: bare } = setup('[profile dev]\noutput = json');
    assert.throws(() => resolveRegion(undefined, {}, bare), {
      exitCode: ExitCode.config,
      reason: 'no-region',
      message: 'no AWS region is set',
      hint: "pass --region (the cluster's region), set AWS_REGION, or add region = <region> under [profile dev] in your AWS config",
    });
  });

  test('names [default] for the default profile and no section when there is no profile', () => {
    const { profile: defaultProfile } = setup('[default]\noutput = json', 'default');
    assert.throws(() => resolveRegion(undefined, {}, defaultProfile), {
      hint: /under \[default\] in your AWS config$/,
    });
    assert.throws(() => resolveRegion(undefined, {}, undefined), {
      hint: /add region = <region> in your AWS config profile$/,
    });
  });
});

describe('resolveStsSettings', () => {
  test('reads nothing when nothing is set', () => {
    const { files, profile } = setup('[profile dev]\nregion = us-west-2');
    assert.deepEqual(resolveStsSettings({}, profile, files), {});
  });

  test('takes sts_regional_endpoints from AWS_STS_REGIONAL_ENDPOINTS over the profile (botocore configprovider)', () => {
    const { files, profile } = setup('[profile dev]\nsts_regional_endpoints = legacy');
    assert.deepEqual(resolveStsSettings({}, profile, files), { stsRegionalEndpoints: 'legacy' });
    assert.deepEqual(resolveStsSettings({ AWS_STS_REGIONAL_ENDPOINTS: 'regional' }, profile, files), {
      stsRegionalEndpoints: 'regional',
    });
  });

  test('accepts sts_regional_endpoints in any case (botocore wants lower case; a capital is no reason to fail)', () => {
    const { files, profile } = setup('[profile dev]\nsts_regional_endpoints = Legacy');
    assert.deepEqual(resolveStsSettings({}, profile, files), { stsRegionalEndpoints: 'legacy' });
  });

  test('refuses other sts_regional_endpoints values with exit 3 (botocore: InvalidSTSRegionalEndpointsConfigError)', () => {
    const { files, profile } = setup('[profile dev]\nsts_regional_endpoints = global');
    assert.throws(() => resolveStsSettings({}, profile, files), {
      exitCode: ExitCode.config,
      reason: 'bad-setting',
      message: 'sts_regional_endpoints must be "legacy" or "regional", not "global"',
    });
    assert.throws(() => resolveStsSettings({ AWS_STS_REGIONAL_ENDPOINTS: 'yes' }, undefined, files), {
      reason: 'bad-setting',
      message: /not "yes"/,
    });
  });

  const booleans = [
    { env: 'AWS_USE_FIPS_ENDPOINT', key: 'use_fips_endpoint', field: 'useFipsEndpoint' },
    { env: 'AWS_USE_DUALSTACK_ENDPOINT', key: 'use_dualstack_endpoint', field: 'useDualstackEndpoint' },
  ] as const;
  for (const b of booleans) {
    test(`reads ${b.key} from ${b.env} over the profile, true/false in any case`, () => {
      const { files, profile } = setup(`[profile dev]\n${b.key} = True`);
      assert.deepEqual(resolveStsSettings({}, profile, files), { [b.field]: true });
      assert.deepEqual(resolveStsSettings({ [b.env]: 'FALSE' }, profile, files), { [b.field]: false });
      assert.deepEqual(resolveStsSettings({ [b.env]: '' }, profile, files), { [b.field]: true });
    });

    test(`refuses ${b.env} values other than true and false with exit 3`, () => {
      // botocore's ensure_boolean reads anything but "true" as false; a typo silently turning FIPS
      // off is worse than an error.
      const { files } = setup('[profile dev]');
      assert.throws(() => resolveStsSettings({ [b.env]: '1' }, undefined, files), {
        exitCode: ExitCode.config,
        reason: 'bad-setting',
        message: `${b.env} must be "true" or "false", not "1"`,
      });
      const { files: files2, profile } = setup(`[profile dev]\n${b.key} = yes`);
      assert.throws(() => resolveStsSettings({}, profile, files2), {
        message: `${b.key} must be "true" or "false", not "yes"`,
      });
    });
  }
});

describe('resolveServiceEndpointUrl', () => {
  // botocore configprovider.ConfiguredEndpointProvider: environment_service, environment_global,
  // config_service, config_global; none when ignore_configured_endpoint_urls is true. Checked with
  // `aws sts get-caller-identity --debug` ("Endpoint provider result"): AWS_ENDPOINT_URL beats a
  // services section.

  const config = `
    [profile dev]
    services = local
    endpoint_url = https://profile.example
    [profile plain]
    endpoint_url = https://profile.example
    [profile ignoring]
    endpoint_url = https://profile.example
    ignore_configured_endpoint_urls = true
    [services local]
    sts =
      endpoint_url = https://services-sts.example
    eks =
      endpoint_url = https://services-eks.example
  `;
  const rows: { name: string; profile: string; env: Env; sts: string | undefined }[] = [
    {
      name: 'AWS_ENDPOINT_URL_STS beats everything',
      profile: 'dev',
      env: { AWS_ENDPOINT_URL_STS: 'https://env-sts.example', AWS_ENDPOINT_URL: 'https://env-global.example' },
      sts: 'https://env-sts.example',
    },
    {
      name: 'AWS_ENDPOINT_URL beats the services section',
      profile: 'dev',
      env: { AWS_ENDPOINT_URL: 'https://env-global.example' },
      sts: 'https://env-global.example',
    },
    {
      name: 'the services section beats the profile endpoint_url',
      profile: 'dev',
      env: {},
      sts: 'https://services-sts.example',
    },
    {
      name: 'AWS_ENDPOINT_URL beats the profile endpoint_url',
      profile: 'plain',
      env: { AWS_ENDPOINT_URL: 'https://env-global.example' },
      sts: 'https://env-global.example',
    },
    { name: 'the profile endpoint_url last', profile: 'plain', env: {}, sts: 'https://profile.example' },
    {
      name: 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true ignores every source',
      profile: 'dev',
      env: { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true', AWS_ENDPOINT_URL_STS: 'https://env-sts.example' },
      sts: undefined,
    },
    {
      name: 'ignore_configured_endpoint_urls in the profile',
      profile: 'ignoring',
      env: { AWS_ENDPOINT_URL: 'https://env-global.example' },
      sts: undefined,
    },
    {
      name: "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false beats the profile's true",
      profile: 'ignoring',
      env: { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'false' },
      sts: 'https://profile.example',
    },
    { name: 'nothing configured', profile: 'none', env: {}, sts: undefined },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const { files, profile } = setup(config, row.profile);
      assert.equal(resolveServiceEndpointUrl('sts', row.env, profile, files), row.sts);
      assert.equal(resolveStsSettings(row.env, profile, files).endpointUrl, row.sts);
    });
  }

  test("reads the service's own entry of the services section and variable", () => {
    const { files, profile } = setup(config, 'dev');
    assert.equal(resolveServiceEndpointUrl('eks', {}, profile, files), 'https://services-eks.example');
    assert.equal(
      resolveServiceEndpointUrl(
        'eks',
        { AWS_ENDPOINT_URL_EKS: 'https://env-eks.example', AWS_ENDPOINT_URL_STS: 'https://x' },
        profile,
        files,
      ),
      'https://env-eks.example',
    );
  });

  test('says where the STS endpoint URL was set, for error messages', () => {
    const source = (profileName: string, env: Env) => {
      const { files, profile } = setup(config, profileName);
      return resolveStsSettings(env, profile, files).endpointUrlSource;
    };
    assert.equal(source('dev', { AWS_ENDPOINT_URL_STS: 'https://x' }), 'AWS_ENDPOINT_URL_STS');
    assert.equal(source('dev', { AWS_ENDPOINT_URL: 'https://x' }), 'AWS_ENDPOINT_URL');
    assert.equal(source('dev', {}), 'sts endpoint_url in [services local]');
    assert.equal(source('plain', {}), 'endpoint_url of profile "plain"');
    assert.equal(source('none', {}), undefined);
  });

  test('skips a services section that does not exist or lacks the service', () => {
    const { files, profile } = setup(
      '[profile dev]\nservices = missing\nendpoint_url = https://profile.example\n[services other]\ns3 =\n  endpoint_url = https://s3.example',
      'dev',
    );
    assert.equal(resolveServiceEndpointUrl('sts', {}, profile, files), 'https://profile.example');
  });
});
