import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_EXEC_API_VERSION,
  formatExecCredential,
  parseExecInfo,
  type ExecInfo,
} from '../../../src/kube/exec-credential';

const V1 = 'client.authentication.k8s.io/v1';
const V1BETA1 = 'client.authentication.k8s.io/v1beta1';

describe('parseExecInfo', () => {
  // Inputs as kubectl sets KUBERNETES_EXEC_INFO (client-go exec.go; docs/reference.md §3).
  const rows: { name: string; raw: string | undefined; expected: ExecInfo }[] = [
    {
      name: 'unset: v1beta1, interactivity unknown',
      raw: undefined,
      expected: { apiVersion: V1BETA1, interactive: undefined },
    },
    { name: 'empty', raw: '', expected: { apiVersion: V1BETA1, interactive: undefined } },
    { name: 'blank', raw: '  \n', expected: { apiVersion: V1BETA1, interactive: undefined } },
    {
      name: 'v1, not interactive',
      raw: '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}',
      expected: { apiVersion: V1, interactive: false },
    },
    {
      name: 'v1beta1, interactive',
      raw: '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":true}}',
      expected: { apiVersion: V1BETA1, interactive: true },
    },
    {
      name: 'v1alpha1 from an old kubectl',
      raw: '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1alpha1","spec":{}}',
      expected: { apiVersion: 'client.authentication.k8s.io/v1alpha1', interactive: undefined },
    },
    {
      name: 'v1 with provideClusterInfo',
      raw: JSON.stringify({
        kind: 'ExecCredential',
        apiVersion: V1,
        spec: {
          cluster: {
            server: 'https://example.eks.amazonaws.com',
            'certificate-authority-data': 'LS0t',
            config: { region: 'eu-west-1' },
          },
          interactive: true,
        },
      }),
      expected: { apiVersion: V1, interactive: true },
    },
    {
      name: 'interactive that is not a boolean',
      raw: '{"apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":"true"}}',
      expected: { apiVersion: V1, interactive: undefined },
    },
    {
      name: 'spec null',
      raw: '{"apiVersion":"client.authentication.k8s.io/v1","spec":null}',
      expected: { apiVersion: V1, interactive: undefined },
    },
    {
      name: 'not JSON',
      raw: '{apiVersion: v1',
      expected: { apiVersion: V1BETA1, interactive: undefined, problem: 'KUBERNETES_EXEC_INFO is not JSON' },
    },
    {
      name: 'JSON null',
      raw: 'null',
      expected: {
        apiVersion: V1BETA1,
        interactive: undefined,
        problem: 'KUBERNETES_EXEC_INFO asks for no apiVersion, which eks-auth does not know',
      },
    },
    {
      name: 'a JSON string',
      raw: '"client.authentication.k8s.io/v1"',
      expected: {
        apiVersion: V1BETA1,
        interactive: undefined,
        problem: 'KUBERNETES_EXEC_INFO asks for no apiVersion, which eks-auth does not know',
      },
    },
    {
      name: 'an unknown version, keeping spec.interactive',
      raw: '{"apiVersion":"client.authentication.k8s.io/v2","spec":{"interactive":false}}',
      expected: {
        apiVersion: V1BETA1,
        interactive: false,
        problem: 'KUBERNETES_EXEC_INFO asks for "client.authentication.k8s.io/v2", which eks-auth does not know',
      },
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      assert.deepEqual(parseExecInfo(row.raw), row.expected);
    });
  }

  test('quotes at most 80 characters of an unknown apiVersion', () => {
    const info = parseExecInfo(JSON.stringify({ apiVersion: 'x'.repeat(500) }));
    assert.equal(info.problem, `KUBERNETES_EXEC_INFO asks for "${'x'.repeat(80)}", which eks-auth does not know`);
  });

  test('defaults to v1beta1, which every kubectl since 1.11 reads', () => {
    assert.equal(DEFAULT_EXEC_API_VERSION, V1BETA1);
  });
});

describe('formatExecCredential', () => {
  test('prints one line of JSON in the shape kubectl reads, newline-terminated', () => {
    // docs/reference.md §3 output shape.
    assert.equal(
      formatExecCredential(V1, 'k8s-aws-v1.abc', new Date('2026-01-01T00:14:00.250Z')),
      '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{},"status":{"expirationTimestamp":"2026-01-01T00:14:00Z","token":"k8s-aws-v1.abc"}}\n',
    );
  });
});
