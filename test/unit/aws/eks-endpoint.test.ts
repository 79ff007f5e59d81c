/**
 * resolveEksEndpoint against botocore itself (the AWS CLI's library): for a region of every
 * partition, with FIPS and dual-stack on and off, the URL botocore's EKS client sends DescribeCluster
 * to (caught in its before-send hook, so nothing leaves the machine) is the oracle. Combinations
 * botocore refuses to build are left out.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { resolveEksEndpoint } from '../../../src/aws/endpoint';
import { requirePeer } from '../../peers/peers';

const REGIONS = [
  'us-east-1',
  'eu-west-1',
  'us-gov-west-1',
  'cn-north-1',
  'us-iso-east-1',
  'us-isob-east-1',
  'eu-isoe-west-1',
  'us-isof-south-1',
  'eusc-de-east-1',
];
const VARIANTS: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

test('EKS hosts for default, FIPS and dual-stack match botocore in every partition', (t) => {
  if (!requirePeer(t, 'botocore')) return;
  const script = `
import json, sys, botocore.session
from botocore.config import Config
class Sent(Exception):
    pass
def stop(request, **kwargs):
    raise Sent(request.url)
s = botocore.session.get_session()
out = []
for region, fips, dual in json.load(sys.stdin):
    try:
        c = s.create_client('eks', region_name=region, aws_access_key_id='a', aws_secret_access_key='b',
                            config=Config(use_fips_endpoint=fips, use_dualstack_endpoint=dual, retries={'max_attempts': 0}))
        c.meta.events.register('before-send', stop)
        c.describe_cluster(name='demo')
        out.append(None)
    except Sent as sent:
        out.append(str(sent.args[0]).split('/clusters/')[0])
    except Exception:
        out.append(None)
print(json.dumps(out))
`;
  const cases = REGIONS.flatMap((region) => VARIANTS.map(([fips, dual]) => [region, fips, dual] as const));
  const run = spawnSync('python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const expected = JSON.parse(run.stdout) as (string | null)[];
  let compared = 0;
  cases.forEach(([region, fips, dual], i) => {
    const want = expected[i];
    if (want === null || want === undefined) return;
    compared++;
    assert.equal(
      resolveEksEndpoint({ region, useFipsEndpoint: fips, useDualstackEndpoint: dual }).url,
      want,
      `${region} fips=${fips} dualstack=${dual}`,
    );
  });
  assert.ok(compared >= 30, `only ${compared} combinations compared`);
});

test('an override wins over FIPS and dual-stack, as in the AWS CLI, and a fips- pseudo-region turns FIPS on', () => {
  assert.deepEqual(
    resolveEksEndpoint({
      region: 'us-east-1',
      useFipsEndpoint: true,
      useDualstackEndpoint: true,
      endpointUrl: 'https://eks.example/prefix',
    }),
    {
      url: 'https://eks.example/prefix',
      signingRegion: 'us-east-1',
    },
  );
  assert.equal(resolveEksEndpoint({ region: 'fips-us-east-1' }).url, 'https://fips.eks.us-east-1.amazonaws.com');
});
