/**
 * Where STS is for a region and its settings: the host the presigned URL names and the region its
 * credential scope carries. Every rule here is read from botocore's STS endpoint ruleset
 * (botocore/data/sts/2011-06-15/endpoint-rule-set-1.json), its partitions data
 * (botocore/data/partitions.json) and its client setup (botocore/client.py, botocore/args.py), and
 * checked against `aws eks get-token` by test/integration/aws-cli-oracle.test.ts.
 */
import { isAsciiDigit, isAsciiLetter, isDigits, isLowerHexDigit } from '../util/ascii';
import { EksAuthError, ExitCode } from '../errors';
import type { StsEndpoint } from '../ports';

/** The inputs of STS endpoint resolution, already read from flags, environment and config files. */
export interface StsEndpointSettings {
  region: string;
  /** `sts_regional_endpoints` / AWS_STS_REGIONAL_ENDPOINTS; `regional` when unset. */
  stsRegionalEndpoints?: 'regional' | 'legacy';
  /** `use_fips_endpoint` / AWS_USE_FIPS_ENDPOINT. */
  useFipsEndpoint?: boolean;
  /** `use_dualstack_endpoint` / AWS_USE_DUALSTACK_ENDPOINT. */
  useDualstackEndpoint?: boolean;
  /** An override from AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL or the config file, already chosen by the caller. */
  endpointUrl?: string;
  /** Where endpointUrl came from, for error messages (e.g. `endpoint_url in [profile dev]`); AWS_ENDPOINT_URL_STS when unset. */
  endpointUrlSource?: string;
}

/** A partition's name and DNS suffixes (botocore partitions.json `outputs`). */
export interface PartitionInfo {
  name: string;
  dnsSuffix: string;
  dualStackDnsSuffix: string;
}

export interface PartitionRule extends PartitionInfo {
  /**
   * partitions.json's regionRegex, which always has the shape `^P-\w+-\d+$` for a fixed prefix P
   * (one of several for `aws`): the labels of P, each label one of the listed spellings. Matched by
   * hand (regionMatches), as a regular expression is compiled on every kubectl call; the regexes
   * themselves are the oracle in test/unit/aws/endpoint.test.ts.
   */
  regionPrefix: readonly (readonly string[])[];
  /** The partition's pseudo-region, listed explicitly in partitions.json because no regex matches it. */
  globalRegion?: string;
}

/**
 * The partitions: partitions.json (botocore 1.43), in its order; regionPrefix spells each regionRegex's
 * prefix. The one partition table: arn.ts takes its names from here.
 */
export const PARTITIONS: readonly PartitionRule[] = [
  {
    name: 'aws',
    dnsSuffix: 'amazonaws.com',
    dualStackDnsSuffix: 'api.aws',
    regionPrefix: [['us', 'eu', 'ap', 'sa', 'ca', 'me', 'af', 'il', 'mx']],
    globalRegion: 'aws-global',
  },
  {
    name: 'aws-cn',
    dnsSuffix: 'amazonaws.com.cn',
    dualStackDnsSuffix: 'api.amazonwebservices.com.cn',
    regionPrefix: [['cn']],
    globalRegion: 'aws-cn-global',
  },
  {
    name: 'aws-eusc',
    dnsSuffix: 'amazonaws.eu',
    dualStackDnsSuffix: 'api.amazonwebservices.eu',
    regionPrefix: [['eusc'], ['de']],
  },
  {
    name: 'aws-iso',
    dnsSuffix: 'c2s.ic.gov',
    dualStackDnsSuffix: 'api.aws.ic.gov',
    regionPrefix: [['us'], ['iso']],
    globalRegion: 'aws-iso-global',
  },
  {
    name: 'aws-iso-b',
    dnsSuffix: 'sc2s.sgov.gov',
    dualStackDnsSuffix: 'api.aws.scloud',
    regionPrefix: [['us'], ['isob']],
    globalRegion: 'aws-iso-b-global',
  },
  {
    name: 'aws-iso-e',
    dnsSuffix: 'cloud.adc-e.uk',
    dualStackDnsSuffix: 'api.cloud-aws.adc-e.uk',
    regionPrefix: [['eu'], ['isoe']],
    globalRegion: 'aws-iso-e-global',
  },
  {
    name: 'aws-iso-f',
    dnsSuffix: 'csp.hci.ic.gov',
    dualStackDnsSuffix: 'api.aws.hci.ic.gov',
    regionPrefix: [['us'], ['isof']],
    globalRegion: 'aws-iso-f-global',
  },
  {
    name: 'aws-us-gov',
    dnsSuffix: 'amazonaws.com',
    dualStackDnsSuffix: 'api.aws',
    regionPrefix: [['us'], ['gov']],
    globalRegion: 'aws-us-gov-global',
  },
];

// The ruleset's UseGlobalEndpoint branch: with `legacy`, exactly these regions use sts.amazonaws.com.
const LEGACY_GLOBAL_REGIONS: ReadonlySet<string> = new Set([
  'ap-northeast-1',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'aws-global',
  'ca-central-1',
  'eu-central-1',
  'eu-north-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
]);

/** The global STS endpoint's host (the legacy endpoint, and aws-global). */
export const GLOBAL_HOST = 'sts.amazonaws.com';
const GLOBAL_SIGNING_REGION = 'us-east-1';

/**
 * botocore utils.validate_region_name, /^(?![0-9]+$)(?!-)[a-zA-Z0-9-]{1,63}(?<!-)$/, by hand (that
 * pattern costs 0.1 ms to compile on every call): the region becomes a host label.
 */
export function isValidRegionName(region: string): boolean {
  if (region.length < 1 || region.length > 63 || region[0] === '-' || region[region.length - 1] === '-') return false;
  let digitsOnly = true;
  for (let i = 0; i < region.length; i++) {
    const c = region.charCodeAt(i);
    const digit = isAsciiDigit(c);
    if (!digit && c !== 0x2d && !isAsciiLetter(c)) return false;
    if (!digit) digitsOnly = false;
  }
  return !digitsOnly;
}

/** Whether `region` is the rule's prefix labels, then a \w+ label, then a \d+ label (`^P-\w+-\d+$`). */
function regionMatches(rule: PartitionRule, region: string): boolean {
  const labels = region.split('-');
  const prefix = rule.regionPrefix;
  if (labels.length !== prefix.length + 2) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (!(prefix[i] as readonly string[]).includes(labels[i] as string)) return false;
  }
  return isWord(labels[prefix.length] as string) && isDigits(labels[prefix.length + 1] as string);
}

/** \w+: ASCII letters, digits and `_`. */
function isWord(label: string): boolean {
  if (label === '') return false;
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    if (!(isAsciiDigit(c) || isAsciiLetter(c) || c === 0x5f)) return false;
  }
  return true;
}

/**
 * The partition of a region, as the endpoint rules' `aws.partition` function decides it: an explicitly
 * listed pseudo-region, else the first region regex that matches, else `aws`.
 */
export function partitionOf(region: string): PartitionInfo {
  const rule = PARTITIONS.find((p) => p.globalRegion === region) ?? PARTITIONS.find((p) => regionMatches(p, region));
  const { name, dnsSuffix, dualStackDnsSuffix } = rule ?? (PARTITIONS[0] as PartitionRule);
  return { name, dnsSuffix, dualStackDnsSuffix };
}

/**
 * The STS endpoint for the presigned URL and for STS calls. Throws EksAuthError(config) for an
 * invalid region or an endpoint override that is not an http(s) URL of a host.
 */
export function resolveStsEndpoint(s: StsEndpointSettings): StsEndpoint {
  let region = s.region;
  let fips = s.useFipsEndpoint === true;
  // botocore client.py _normalize_fips_region: `fips-` / `-fips` pseudo-regions mean the region
  // itself with FIPS turned on.
  const normalised = region.replaceAll('fips-', '').replaceAll('-fips', '');
  if (normalised !== region) {
    region = normalised;
    fips = true;
  }
  if (!isValidRegionName(region)) {
    throw new EksAuthError(ExitCode.config, `region "${s.region}" is not a valid AWS region name`, {
      hint: 'use a region such as us-west-2 (--region, AWS_REGION or region = … in the profile)',
      reason: 'invalid-region',
    });
  }
  const partition = partitionOf(region);

  // The AWS CLI lets an override win over legacy, FIPS and dual-stack (the ruleset alone would
  // refuse FIPS or dual-stack with a custom endpoint) and signs for the region as configured.
  if (s.endpointUrl !== undefined) {
    const host = parseOverrideHost(s.endpointUrl, s.endpointUrlSource ?? 'AWS_ENDPOINT_URL_STS');
    return {
      url: `${host.protocol}//${host.host}`,
      host: host.host,
      signingRegion: region,
      region,
      partition: partition.name,
    };
  }

  const dualStack = s.useDualstackEndpoint === true;
  let hostname: string;
  if (fips && dualStack) {
    hostname = `sts-fips.${region}.${partition.dualStackDnsSuffix}`;
  } else if (fips) {
    // The ruleset's one exception: GovCloud's regular STS hosts are already FIPS endpoints.
    hostname =
      partition.name === 'aws-us-gov' ? `sts.${region}.amazonaws.com` : `sts-fips.${region}.${partition.dnsSuffix}`;
  } else if (dualStack) {
    hostname = `sts.${region}.${partition.dualStackDnsSuffix}`;
  } else if (region === 'aws-global' || (s.stsRegionalEndpoints === 'legacy' && LEGACY_GLOBAL_REGIONS.has(region))) {
    hostname = GLOBAL_HOST;
  } else {
    hostname = `sts.${region}.${partition.dnsSuffix}`;
  }
  // Host names are case-insensitive and SigV4 signers (botocore) sign them lower-cased.
  const host = hostname.toLowerCase();
  // endpoints.json gives aws-global the credential scope us-east-1 whatever host the rules pick
  // (sts-fips.aws-global.amazonaws.com with FIPS, as the AWS CLI does).
  const signingRegion = hostname === GLOBAL_HOST || region === 'aws-global' ? GLOBAL_SIGNING_REGION : region;
  return { url: `https://${host}`, host, signingRegion, region, partition: partition.name };
}

/** The scheme and host (with any port) of an endpoint override, as URL#protocol and URL#host give them. */
interface Origin {
  protocol: string;
  host: string;
}

function parseOverrideHost(endpointUrl: string, source: string): Origin {
  // kubectl runs a cache hit with AWS_ENDPOINT_URL_STS (a VPC endpoint, LocalStack) on every call.
  const simple = simpleHttpOrigin(endpointUrl);
  if (simple) return simple;
  // A URL with userinfo may carry a password: never repeat it.
  const quoted = endpointUrl.includes('@') ? source : `${source} "${endpointUrl}"`;
  const fail = (problem: string): never => {
    throw new EksAuthError(ExitCode.config, `${quoted} ${problem}`, {
      hint: `set ${source} to an http(s) URL of a host, such as https://127.0.0.1:4566, or unset it`,
      reason: 'invalid-endpoint-url',
    });
  };
  let url: URL;
  try {
    url = new URL(endpointUrl);
  } catch {
    return fail('is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('is not an http or https URL');
  if (url.username !== '' || url.password !== '') fail('must not contain a user name or password');
  // The verifier requires the presigned URL's path to be exactly `/`.
  // Quote only scheme, host and port here: a query may carry anything.
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new EksAuthError(
      ExitCode.config,
      `${source} (${url.protocol}//${url.host}/…) must not have a path, query or fragment`,
      {
        hint: `set ${source} to an http(s) URL of a host, such as https://127.0.0.1:4566, or unset it`,
        reason: 'invalid-endpoint-url',
      },
    );
  }
  return url;
}

/**
 * `http(s)://host[:port][/]` for the plain shapes, read by hand: the first `new URL()` of a process
 * costs about 0.25 ms. The host must be a lower-case DNS name whose last label is not a number, or
 * a dotted-quad IPv4 address in canonical form, and the port canonical too, so that the answer is
 * URL's own; anything else (upper case, IPv6, punycode, other IPv4 spellings, userinfo, a path)
 * returns undefined and goes to URL, which also explains what is wrong. Pinned against URL on
 * generated inputs (test/unit/aws/endpoint.test.ts).
 */
export function simpleHttpOrigin(text: string): Origin | undefined {
  let protocol: string;
  let defaultPort: string;
  if (text.startsWith('https://')) {
    protocol = 'https:';
    defaultPort = '443';
  } else if (text.startsWith('http://')) {
    protocol = 'http:';
    defaultPort = '80';
  } else {
    return undefined;
  }
  const end = text.endsWith('/') ? text.length - 1 : text.length;
  const rest = text.slice(protocol.length + 2, end);
  const colon = rest.indexOf(':');
  const hostname = colon === -1 ? rest : rest.slice(0, colon);
  const port = colon === -1 ? '' : rest.slice(colon + 1);
  if (!isSimpleHostname(hostname)) return undefined;
  if (colon === -1 || port === defaultPort) return { protocol, host: hostname };
  if (!isCanonicalDecimal(port, 65535)) return undefined;
  return { protocol, host: `${hostname}:${port}` };
}

function isSimpleHostname(hostname: string): boolean {
  const labels = hostname.split('.');
  for (const label of labels) {
    if (label === '' || label.startsWith('xn--')) return false;
    for (let i = 0; i < label.length; i++) {
      const c = label.charCodeAt(i);
      const ok = (c >= 0x61 && c <= 0x7a) || isAsciiDigit(c) || c === 0x2d;
      if (!ok) return false;
    }
  }
  // URL reads a host whose last label is a number (decimal, or 0x hex) as IPv4, in any of its
  // spellings: accept only the canonical dotted quad, which URL leaves as it is.
  if (!isNumberLabel(labels[labels.length - 1] as string)) return true;
  return labels.length === 4 && labels.every((label) => isCanonicalDecimal(label, 255));
}

/** Decimal digits, or `0x` and hex digits (WHATWG URL "ends in a number"); the label is lower case. */
function isNumberLabel(label: string): boolean {
  const hex = label.startsWith('0x');
  for (let i = hex ? 2 : 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    if (!(hex ? isLowerHexDigit(c) : isAsciiDigit(c))) return false;
  }
  return true;
}

/** Digits only, no leading zero (but "0" itself), at most `max`. */
function isCanonicalDecimal(text: string, max: number): boolean {
  if (!isDigits(text) || text.length > 5 || (text.length > 1 && text[0] === '0')) return false;
  return Number(text) <= max;
}

/** The EKS API endpoint DescribeCluster goes to. */
export interface EksEndpoint {
  /** `https://eks.us-west-2.amazonaws.com` or an override's origin; no trailing slash. */
  url: string;
  /** The region SigV4 signs for. */
  signingRegion: string;
}

/** The inputs of EKS endpoint resolution: region, FIPS and dual-stack settings, an override. */
export type EksEndpointSettings = Omit<StsEndpointSettings, 'stsRegionalEndpoints'>;

/**
 * The EKS endpoint, by botocore's EKS ruleset (botocore/data/eks/2017-11-01/endpoint-rule-set-1.json):
 * FIPS is `fips.eks.<region>.amazonaws.com` in partition aws, the regular host in aws-us-gov and
 * `eks-fips.<region>.<suffix>` elsewhere; dual-stack uses the partition's dual-stack suffix. As in
 * the AWS CLI, an override (AWS_ENDPOINT_URL_EKS, AWS_ENDPOINT_URL, endpoint_url) wins over FIPS and
 * dual-stack instead of being refused. Checked against botocore by test/unit/aws/eks-endpoint.test.ts,
 * and against the AWS CLI through a proxy by test/integration/network-proxy.test.ts.
 */
export function resolveEksEndpoint(s: EksEndpointSettings): EksEndpoint {
  let region = s.region;
  let fips = s.useFipsEndpoint === true;
  const normalised = region.replaceAll('fips-', '').replaceAll('-fips', '');
  if (normalised !== region) {
    region = normalised;
    fips = true;
  }
  if (!isValidRegionName(region)) {
    throw new EksAuthError(ExitCode.config, `region "${s.region}" is not a valid AWS region name`, {
      hint: 'use a region such as us-west-2 (--region, AWS_REGION or region = … in the profile)',
      reason: 'invalid-region',
    });
  }
  // Unlike STS's, an EKS override may have a path (an API gateway in front of EKS): the SDK joins it.
  if (s.endpointUrl !== undefined) return { url: s.endpointUrl, signingRegion: region };
  const partition = partitionOf(region);
  const dualStack = s.useDualstackEndpoint === true;
  let hostname: string;
  if (fips && dualStack) hostname = `eks-fips.${region}.${partition.dualStackDnsSuffix}`;
  else if (fips && partition.name === 'aws') hostname = `fips.eks.${region}.amazonaws.com`;
  else if (fips && partition.name === 'aws-us-gov') hostname = `eks.${region}.amazonaws.com`;
  else if (fips) hostname = `eks-fips.${region}.${partition.dnsSuffix}`;
  else if (dualStack) hostname = `eks.${region}.${partition.dualStackDnsSuffix}`;
  else hostname = `eks.${region}.${partition.dnsSuffix}`;
  return { url: `https://${hostname.toLowerCase()}`, signingRegion: region };
}
