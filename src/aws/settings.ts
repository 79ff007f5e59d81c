/**
 * Region and endpoint settings, with the AWS CLI's precedence: command line, then environment,
 * then the profile in the config file.
 */
import { EksAuthError, ExitCode } from '../errors';
import type { Env } from '../ports';
import { findServicesSection, type AwsConfigFiles, type Profile } from './config';
import type { StsEndpointSettings } from './endpoint';
import { profileName } from '../util/quote';

export interface RegionChoice {
  region: string;
  /** Where it came from, for --verbose: `--region`, `AWS_REGION`, `profile dev`. */
  source: string;
}

/**
 * `--region`, else AWS_REGION, else AWS_DEFAULT_REGION, else the profile's `region`. Unlike
 * aws-iam-authenticator we never probe instance metadata for it (seconds off EC2): no region is a
 * clear error instead.
 */
export function resolveRegion(flag: string | undefined, env: Env, profile: Profile | undefined): RegionChoice {
  if (flag) return { region: flag, source: '--region' };
  if (env.AWS_REGION) return { region: env.AWS_REGION, source: 'AWS_REGION' };
  if (env.AWS_DEFAULT_REGION) return { region: env.AWS_DEFAULT_REGION, source: 'AWS_DEFAULT_REGION' };
  const fromProfile = profile?.get('region');
  if (fromProfile) return { region: fromProfile, source: profileName(profile?.name ?? '') };
  const where = profile
    ? ` under [${profile.name === 'default' ? 'default' : `profile ${profile.name}`}] in your AWS config`
    : ' in your AWS config profile';
  throw new EksAuthError(ExitCode.config, 'no AWS region is set', {
    hint: `pass --region (the cluster's region), set AWS_REGION, or add region = <region>${where}`,
    reason: 'no-region',
  });
}

/** The settings that choose the STS host, as src/aws/endpoint.ts takes them (the region apart). */
export type StsSettings = Omit<StsEndpointSettings, 'region'>;

/**
 * FIPS, dual-stack and the configured endpoint of a service (AWS_USE_FIPS_ENDPOINT /
 * use_fips_endpoint, AWS_USE_DUALSTACK_ENDPOINT / use_dualstack_endpoint, the endpoint override):
 * the same settings, read the same way, for STS and EKS.
 */
export function resolveServiceEndpointSettings(
  service: 'sts' | 'eks',
  env: Env,
  profile: Profile | undefined,
  files: AwsConfigFiles,
): Omit<StsSettings, 'stsRegionalEndpoints'> {
  const settings: Omit<StsSettings, 'stsRegionalEndpoints'> = {};
  const fips =
    readBoolean(env.AWS_USE_FIPS_ENDPOINT, 'AWS_USE_FIPS_ENDPOINT') ??
    readBoolean(profile?.get('use_fips_endpoint'), 'use_fips_endpoint');
  if (fips !== undefined) settings.useFipsEndpoint = fips;
  const dualstack =
    readBoolean(env.AWS_USE_DUALSTACK_ENDPOINT, 'AWS_USE_DUALSTACK_ENDPOINT') ??
    readBoolean(profile?.get('use_dualstack_endpoint'), 'use_dualstack_endpoint');
  if (dualstack !== undefined) settings.useDualstackEndpoint = dualstack;
  const endpoint = configuredEndpoint(service, env, profile, files);
  if (endpoint !== undefined) {
    settings.endpointUrl = endpoint.url;
    settings.endpointUrlSource = endpoint.source;
  }
  return settings;
}

export function resolveStsSettings(env: Env, profile: Profile | undefined, files: AwsConfigFiles): StsSettings {
  const settings: StsSettings = {};
  const regional = (env.AWS_STS_REGIONAL_ENDPOINTS || profile?.get('sts_regional_endpoints'))?.toLowerCase();
  if (regional !== undefined) {
    if (regional !== 'legacy' && regional !== 'regional') {
      throw new EksAuthError(
        ExitCode.config,
        `sts_regional_endpoints must be "legacy" or "regional", not "${regional}"`,
        {
          hint: 'fix AWS_STS_REGIONAL_ENDPOINTS or sts_regional_endpoints in your AWS config',
          reason: 'bad-setting',
        },
      );
    }
    settings.stsRegionalEndpoints = regional;
  }
  return { ...settings, ...resolveServiceEndpointSettings('sts', env, profile, files) };
}

function readBoolean(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new EksAuthError(ExitCode.config, `${name} must be "true" or "false", not "${value}"`, {
    hint: `fix ${name} in your environment or AWS config`,
    reason: 'bad-setting',
  });
}

/**
 * The configured endpoint URL of a service, in botocore's order (configprovider
 * ConfiguredEndpointProvider): AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's
 * `services` section, the profile's `endpoint_url`; none at all when
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS / ignore_configured_endpoint_urls is true.
 */
export function resolveServiceEndpointUrl(
  service: 'sts' | 'eks' | 'iam',
  env: Env,
  profile: Profile | undefined,
  files: AwsConfigFiles,
): string | undefined {
  return configuredEndpoint(service, env, profile, files)?.url;
}

/** The configured endpoint URL and where it was set, for messages. */
function configuredEndpoint(
  service: 'sts' | 'eks' | 'iam',
  env: Env,
  profile: Profile | undefined,
  files: AwsConfigFiles,
): { url: string; source: string } | undefined {
  const ignore =
    readBoolean(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS') ??
    readBoolean(profile?.get('ignore_configured_endpoint_urls'), 'ignore_configured_endpoint_urls');
  if (ignore) return undefined;
  const specificName = `AWS_ENDPOINT_URL_${service.toUpperCase()}`;
  const specific = env[specificName];
  if (specific) return { url: specific, source: specificName };
  // Both variables beat both config-file settings.
  if (env.AWS_ENDPOINT_URL) return { url: env.AWS_ENDPOINT_URL, source: 'AWS_ENDPOINT_URL' };
  if (!profile) return undefined;
  const servicesName = profile.get('services');
  if (servicesName) {
    const fromServices = findServicesSection(files, servicesName)?.[service];
    if (typeof fromServices === 'object' && fromServices.endpoint_url) {
      return { url: fromServices.endpoint_url, source: `${service} endpoint_url in [services ${servicesName}]` };
    }
  }
  const global = profile.get('endpoint_url');
  return global ? { url: global, source: `endpoint_url of profile "${profile.name}"` } : undefined;
}
