/**
 * The EKS port's error mapping, with the errors produced by the real @aws-sdk/client-eks talking to
 * a local HTTP server on 127.0.0.1 that answers the way EKS (or something that is not EKS) does.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createEksPort } from '../../../src/aws/eks-client';
import { EksAuthError, ExitCode } from '../../../src/errors';

// The AWS documentation's example keys: nothing here is a real credential.
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

type Answer = (req: IncomingMessage, res: ServerResponse) => void;

describe('EKS DescribeCluster errors', () => {
  let answer: Answer = (_req, res) => res.end();
  let url = '';
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(req, res));
  });
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  async function describeWith(reply: Answer, endpoint: string | undefined = url): Promise<EksAuthError> {
    answer = reply;
    const port = createEksPort({ region: 'us-east-1', credentials: CREDENTIALS, ...(endpoint ? { endpoint } : {}) });
    const err = await port
      .describeCluster('demo')
      .then(
        () => assert.fail('DescribeCluster succeeded'),
        (e: unknown) => e,
      )
      .finally(() => port.close());
    assert.ok(err instanceof EksAuthError, String(err));
    return err;
  }

  test('an unknown cluster (ResourceNotFoundException, as EKS sends it) exits 3 naming the cluster and region', async () => {
    const err = await describeWith((_req, res) => {
      // The restJson1 error shape: the type in x-amzn-errortype, the message in the body.
      res.writeHead(404, {
        'content-type': 'application/json',
        'x-amzn-errortype': 'ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.eks/',
      });
      res.end(JSON.stringify({ message: 'No cluster found for name: demo.' }));
    });
    assert.equal(err.exitCode, ExitCode.config);
    assert.equal(err.reason, 'cluster-not-found');
    assert.equal(err.message, 'EKS has no cluster "demo" in us-east-1');
  });

  test('a bare 404 from an overridden endpoint blames the endpoint, not the cluster name', async () => {
    const err = await describeWith((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html><body>Not Found</body></html>');
    }, `${url}/some/private/path?x=1`);
    assert.equal(err.exitCode, ExitCode.config);
    assert.equal(err.reason, 'eks-endpoint-not-found');
    assert.match(
      err.message,
      new RegExp(
        `^the EKS endpoint ${url.replace(/\./g, '\\.')} answered DescribeCluster for cluster "demo" in us-east-1 with HTTP 404`,
      ),
    );
    assert.doesNotMatch(`${err.message}\n${err.hint}`, /private|x=1/, 'only the origin is quoted');
    assert.match(err.hint ?? '', /AWS_ENDPOINT_URL_EKS/);
  });

  test('AccessDeniedException exits 4 with the permission to ask for', async () => {
    const err = await describeWith((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException' });
      res.end(JSON.stringify({ message: 'User is not authorized to perform: eks:DescribeCluster' }));
    });
    assert.equal(err.exitCode, ExitCode.credentials);
    assert.equal(err.reason, 'eks-access-denied');
    assert.match(err.hint ?? '', /eks:DescribeCluster/);
  });

  test('a server error that outlasts the retries exits 5, naming only the endpoint origin', async () => {
    let calls = 0;
    const err = await describeWith((_req, res) => {
      calls++;
      res.writeHead(503, { 'content-type': 'application/json', 'x-amzn-errortype': 'ServiceUnavailableException' });
      res.end(JSON.stringify({ message: 'try later' }));
    }, `${url}/private`);
    assert.equal(err.exitCode, ExitCode.network);
    assert.equal(err.reason, 'eks-unreachable');
    assert.equal(calls, 3, 'three attempts');
    assert.match(err.hint ?? '', new RegExp(`check that ${url.replace(/\./g, '\\.')} \\(from`));
    assert.doesNotMatch(err.hint ?? '', /private/);
  });

  test('a server that repeats its nextToken is an error, not an endless listing', async () => {
    let calls = 0;
    answer = (_req, res) => {
      calls++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ accessEntries: [`arn:aws:iam::111122223333:role/R${calls}`], nextToken: 'same' }));
    };
    const port = createEksPort({ region: 'us-east-1', credentials: CREDENTIALS, endpoint: url });
    try {
      await assert.rejects(port.listAccessEntries('demo'), (err: EksAuthError) => {
        assert.equal(err.reason, 'eks-error');
        assert.match(
          err.message,
          /ListAccessEntries failed for cluster "demo" in us-east-1: EKS repeated the page token "same"/,
        );
        return true;
      });
      assert.equal(calls, 2);
    } finally {
      port.close();
    }
  });
});
