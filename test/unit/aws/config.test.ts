import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  awsFileLocations,
  findProfile,
  findServicesSection,
  findSsoSession,
  loadAwsConfigFiles,
  profileNames,
  requireProfile,
  type AwsConfigFiles,
} from '../../../src/aws/config';
import { ExitCode } from '../../../src/errors';
import type { Env } from '../../../src/ports';
import { CONFIG_PATH, CREDENTIALS_PATH, HOME, MemoryFiles, dedent } from '../../helpers/fake-deps';

function load(config: string | undefined, credentials: string | undefined, env: Env = {}): AwsConfigFiles {
  const files = new MemoryFiles();
  const locations = awsFileLocations(env, HOME);
  if (config !== undefined) files.set(locations.configFile, dedent(config));
  if (credentials !== undefined) files.set(locations.credentialsFile, dedent(credentials));
  return loadAwsConfigFiles({ env, homedir: HOME, files });
}

describe('awsFileLocations', () => {
  // botocore configprovider: config_file (AWS_CONFIG_FILE, ~/.aws/config), credentials_file
  // (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials); raw_config_parse expands "~".
  const rows: { env: Env; configFile: string; credentialsFile: string }[] = [
    { env: {}, configFile: CONFIG_PATH, credentialsFile: CREDENTIALS_PATH },
    { env: { AWS_CONFIG_FILE: '/etc/aws/config' }, configFile: '/etc/aws/config', credentialsFile: CREDENTIALS_PATH },
    { env: { AWS_SHARED_CREDENTIALS_FILE: '/run/creds' }, configFile: CONFIG_PATH, credentialsFile: '/run/creds' },
    {
      env: { AWS_CONFIG_FILE: '~/alt/config', AWS_SHARED_CREDENTIALS_FILE: '~/alt/creds' },
      configFile: `${HOME}/alt/config`,
      credentialsFile: `${HOME}/alt/creds`,
    },
    { env: { AWS_CONFIG_FILE: '~' }, configFile: HOME, credentialsFile: CREDENTIALS_PATH },
    // Only a leading "~/" is the home directory.
    { env: { AWS_CONFIG_FILE: 'rel/~/config' }, configFile: 'rel/~/config', credentialsFile: CREDENTIALS_PATH },
    // An empty variable counts as unset.
    { env: { AWS_CONFIG_FILE: '' }, configFile: CONFIG_PATH, credentialsFile: CREDENTIALS_PATH },
  ];
  for (const row of rows) {
    test(`${JSON.stringify(row.env)} → ${row.configFile}, ${row.credentialsFile}`, () => {
      assert.deepEqual(awsFileLocations(row.env, HOME), {
        configFile: row.configFile,
        credentialsFile: row.credentialsFile,
      });
    });
  }
});

describe('loadAwsConfigFiles', () => {
  test('reads the files named by AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE', () => {
    const files = new MemoryFiles({
      '/cfg/config': '[profile dev]\nregion = eu-west-1\n',
      '/cfg/creds': '[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = secret-dev\n',
      [CONFIG_PATH]: '[profile dev]\nregion = us-east-1\n',
    });
    const loaded = loadAwsConfigFiles({
      env: { AWS_CONFIG_FILE: '/cfg/config', AWS_SHARED_CREDENTIALS_FILE: '/cfg/creds' },
      homedir: HOME,
      files,
    });
    assert.deepEqual(files.reads, ['/cfg/config', '/cfg/creds']);
    assert.equal(findProfile(loaded, 'dev')?.get('region'), 'eu-west-1');
    assert.equal(findProfile(loaded, 'dev')?.get('aws_access_key_id'), 'AKIDDEV');
  });

  test('treats missing files as empty', () => {
    const loaded = load(undefined, undefined);
    assert.deepEqual(profileNames(loaded), []);
    assert.equal(findProfile(loaded, 'default'), undefined);
  });

  test('fails with exit 3 naming the file and line of a malformed line, without quoting it', () => {
    const files = new MemoryFiles({
      [CREDENTIALS_PATH]: '[default]\naws_access_key_id = AKIDEXAMPLE\nwJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n',
    });
    assert.throws(
      () => loadAwsConfigFiles({ env: {}, homedir: HOME, files }),
      (err: Error & { exitCode?: number; reason?: string; hint?: string }) => {
        assert.equal(err.exitCode, ExitCode.config);
        assert.equal(err.reason, 'config-malformed');
        assert.equal(
          err.message,
          `cannot parse ${CREDENTIALS_PATH} line 3: expected "key = value" or a [section] header`,
        );
        assert.match(err.hint ?? '', /line 3 of .*\.aws\/credentials/);
        assert.ok(!`${err.message} ${err.hint}`.includes('EXAMPLEKEY'));
        return true;
      },
    );
  });

  test('fails with exit 3 naming an unreadable file', () => {
    const files = new MemoryFiles();
    files.fail(CONFIG_PATH, Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }));
    assert.throws(() => loadAwsConfigFiles({ env: {}, homedir: HOME, files }), {
      exitCode: ExitCode.config,
      reason: 'config-unreadable',
      message: `cannot read ${CONFIG_PATH}: EACCES: permission denied`,
    });
  });
});

describe('findProfile', () => {
  test('merges both files, the credentials file winning for a key set in both (botocore session.full_config)', () => {
    // Checked with `aws configure list --profile dev`: region comes from the credentials file.
    const files = load(
      `
        [profile dev]
        region = eu-west-1
        output = text
        aws_access_key_id = AKIDFROMCONFIG
      `,
      `
        [dev]
        region = us-east-2
        aws_access_key_id = AKIDFROMCREDENTIALS
        aws_secret_access_key = secret
      `,
    );
    const dev = findProfile(files, 'dev');
    assert.ok(dev);
    assert.equal(dev.get('region'), 'us-east-2');
    assert.equal(dev.get('output'), 'text');
    assert.equal(dev.get('aws_access_key_id'), 'AKIDFROMCREDENTIALS');
    assert.deepEqual(dev.definedIn, [CONFIG_PATH, CREDENTIALS_PATH]);
    assert.equal(dev.inCredentialsFile('aws_access_key_id'), true);
    assert.equal(dev.inCredentialsFile('output'), false);
  });

  test('treats an empty value as unset and exposes nested maps separately', () => {
    const files = load('[profile dev]\nregion =\ns3 =\n  addressing_style = path\n', undefined);
    const dev = findProfile(files, 'dev');
    assert.equal(dev?.get('region'), undefined);
    assert.equal(dev?.has('region'), false);
    assert.equal(dev?.get('s3'), undefined);
    assert.deepEqual(dev?.getNested('s3'), { addressing_style: 'path' });
    assert.equal(dev?.getNested('region'), undefined);
  });

  test('reads [default] and [profile default] as the default profile', () => {
    assert.equal(findProfile(load('[default]\nregion = a\n', undefined), 'default')?.get('region'), 'a');
    assert.equal(findProfile(load('[profile default]\nregion = b\n', undefined), 'default')?.get('region'), 'b');
  });

  // Checked with `aws configure get region` / `output`: botocore's build_profile_map lets the later
  // section replace the earlier one whole (the SDK for JavaScript always prefers [profile default]).
  test('with both [default] and [profile default], uses the later section whole', () => {
    const plainLast = load(
      '[profile default]\nregion = eu-west-1\noutput = text\n[default]\nregion = us-east-2\n',
      undefined,
    );
    assert.equal(findProfile(plainLast, 'default')?.get('region'), 'us-east-2');
    assert.equal(findProfile(plainLast, 'default')?.get('output'), undefined);
    const prefixedLast = load('[default]\nregion = us-east-2\n[profile default]\nregion = eu-west-1\n', undefined);
    assert.equal(findProfile(prefixedLast, 'default')?.get('region'), 'eu-west-1');
  });

  test('does not read [dev] in the config file or [profile dev] in the credentials file as profile dev', () => {
    const files = load('[dev]\nregion = eu-west-1\n', '[profile dev]\naws_access_key_id = AKID\n');
    assert.equal(findProfile(files, 'dev'), undefined);
    assert.equal(findProfile(files, 'profile dev')?.get('aws_access_key_id'), 'AKID');
  });
});

describe('requireProfile', () => {
  test('fails with exit 3 and the AWS CLI wording when the profile is missing', () => {
    const files = load(
      '[profile prod]\nregion = eu-west-1\n',
      '[ci]\naws_access_key_id = A\naws_secret_access_key = B\n',
    );
    assert.throws(() => requireProfile(files, 'dev'), {
      exitCode: ExitCode.config,
      reason: 'profile-not-found',
      message: 'the config profile (dev) could not be found',
      hint: `define [profile dev] in ${CONFIG_PATH} or [dev] in ${CREDENTIALS_PATH}, or pick another with --profile (known profiles: ci, prod)`,
    });
  });

  test('points at the missing "profile " prefix when the config file has [dev]', () => {
    const files = load('[dev]\nregion = eu-west-1\n', undefined);
    assert.throws(() => requireProfile(files, 'dev'), {
      exitCode: ExitCode.config,
      hint: `${CONFIG_PATH} has a [dev] section, but profiles in the config file are named [profile dev]`,
    });
  });

  test('returns the profile when it exists in either file', () => {
    const files = load('[profile a]\nregion = x\n', '[b]\nregion = y\n');
    assert.equal(requireProfile(files, 'a').get('region'), 'x');
    assert.equal(requireProfile(files, 'b').get('region'), 'y');
  });
});

describe('profileNames, findSsoSession, findServicesSection', () => {
  const files = load(
    `
      [default]
      region = us-west-2
      [profile dev]
      sso_session = corp
      services = local
      [sso-session corp]
      sso_region = us-east-1
      [services local]
      sts =
        endpoint_url = http://127.0.0.1:4566
      [preview]
      cloudfront = true
    `,
    '[ci]\naws_access_key_id = A\n[dev]\nregion = x\n',
  );

  test('lists profiles of both files, not sso-session, services or other sections', () => {
    assert.deepEqual(profileNames(files), ['ci', 'default', 'dev']);
  });

  test('finds [sso-session x] and [services x] in the config file', () => {
    assert.equal(findSsoSession(files, 'corp')?.sso_region, 'us-east-1');
    assert.equal(findSsoSession(files, 'other'), undefined);
    assert.deepEqual(findServicesSection(files, 'local')?.sts, { endpoint_url: 'http://127.0.0.1:4566' });
  });
});
