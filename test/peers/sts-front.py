#!/usr/bin/env python3
"""A verifying STS for tests, in front of moto_server.

moto does not check signatures and routes presigned GETs to S3, so this front does what real STS
does for the calls eks-auth makes:

- POST / (query API, form body): verifies the SigV4 Authorization header (AssumeRoleWithWebIdentity
  is unsigned), forwards the body to moto, and remembers every credential moto issues together with
  the identity it belongs to. GetCallerIdentity is answered here.
- GET /?Action=GetCallerIdentity&... (the EKS token replayed by the apiserver): verifies the
  presigned query signature over the headers named in X-Amz-SignedHeaders, honours it for 15 minutes
  after X-Amz-Date whatever X-Amz-Expires says (as STS does), and answers the caller identity in JSON
  when asked for (Accept: application/json), else XML.
- POST /_peer/fail (JSON {"action", "kind", "count", "roleArn"?}): the next `count` calls of `action`
  (for that RoleArn only, when given) fail with `kind` = throttle | error | denied, for retry tests.

The signature is recomputed with botocore's SigV4 implementation: independent of the Node signer
under test. One JSON line per request goes to --log; secrets and tokens never do.

Usage: sts-front.py --moto URL --cert PEM --key PEM [--port 0] [--keys JSON] [--log PATH]
       [--fail ACTION:KIND:COUNT ...]
--keys is a file {"AKID": {"secret": "...", "arn": "arn:aws:iam::111122223333:user/alice",
"userId": optional}}. Prints {"port": N} on stdout once listening.
"""
import argparse
import hmac
import json
import socket
import ssl
import sys
import threading
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

NS = 'https://sts.amazonaws.com/doc/2011-06-15/'
# STS honours a presigned GetCallerIdentity URL for 15 minutes after X-Amz-Date, whatever X-Amz-Expires
# says (the window aws-iam-authenticator relies on).
PRESIGN_MAX_AGE = 15 * 60
# Header-signed requests: the usual SigV4 clock skew window.
HEADER_SKEW = 5 * 60
# A presigned date slightly ahead of our clock is tolerated, as for any client clock.
FUTURE_SKEW = 5 * 60
LOG_FIELDS = ('method', 'action', 'roleArn', 'cluster', 'akid', 'ok', 'reason', 'arn', 'issuedAkid')
FAIL_KINDS = {
    'throttle': (400, 'Throttling', 'Rate exceeded'),
    'error': (500, 'InternalFailure', 'An internal error occurred (injected by the test)'),
    'denied': (403, 'AccessDenied', 'Access denied (injected by the test)'),
}


class Rejected(Exception):
    def __init__(self, status, code, message, reason):
        super().__init__(message)
        self.status, self.code, self.message, self.reason = status, code, message, reason


def signature_mismatch(reason):
    return Rejected(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the '
                    'signature you provided. Check your AWS Secret Access Key and signing method.', reason)


class State:
    """Known secrets (static and issued), injected failures and the request log."""

    def __init__(self, static_keys, log_path):
        self.lock = threading.Lock()
        self.keys = {}
        for akid, entry in static_keys.items():
            arn = entry['arn']
            self.keys[akid] = {'secret': entry['secret'], 'token': None,
                               'identity': identity(arn, entry.get('userId', akid))}
        self.failures = {}
        self.log_path = log_path

    def key(self, akid):
        with self.lock:
            return self.keys.get(akid)

    def remember(self, akid, secret, token, ident):
        with self.lock:
            self.keys[akid] = {'secret': secret, 'token': token, 'identity': ident}

    def inject(self, action, kind, count, role_arn=None):
        with self.lock:
            self.failures[(action, role_arn)] = [kind, count]

    def take_failure(self, action, role_arn):
        with self.lock:
            for key in ((action, role_arn), (action, None)):
                pending = self.failures.get(key)
                if pending and pending[1] > 0:
                    pending[1] -= 1
                    return pending[0]
            return None

    def log(self, **entry):
        """One line per request, every field present (null when not applicable)."""
        if not self.log_path:
            return
        line = {field: entry.get(field) for field in LOG_FIELDS}
        with self.lock, open(self.log_path, 'a', encoding='utf-8') as f:
            f.write(json.dumps(line) + '\n')


def identity(arn, user_id):
    return {'Account': arn.split(':')[4], 'Arn': arn, 'UserId': user_id}


def parse_amz_date(value):
    try:
        return datetime.strptime(value, '%Y%m%dT%H%M%SZ').replace(tzinfo=timezone.utc)
    except (TypeError, ValueError):
        raise Rejected(400, 'IncompleteSignature', 'X-Amz-Date is missing or malformed', 'malformed-date')


def parse_scope(credential, amz_date):
    parts = credential.split('/')
    if len(parts) != 5 or parts[4] != 'aws4_request' or parts[1] != amz_date[:8]:
        raise Rejected(400, 'IncompleteSignature', 'Credential scope is malformed', 'malformed-credential')
    akid, _, region, service, _ = parts
    if service != 'sts':
        raise Rejected(403, 'SignatureDoesNotMatch', 'Credential should be scoped to correct service: sts',
                       'wrong-service')
    return akid, region


def expected_signature(secret, region, amz_date, method, path, host_headers, params, body):
    """SigV4 with botocore, over exactly the headers the client says it signed."""
    request = AWSRequest(method=method, url='https://' + host_headers.get('host', [''])[0] + path,
                         params=params, data=body)
    for name, values in host_headers.items():
        for value in values:
            request.headers[name] = value
    request.context['timestamp'] = amz_date
    signer = SigV4Auth(Credentials('unused', secret), 'sts', region)
    canonical = signer.canonical_request(request)
    return signer.signature(signer.string_to_sign(request, canonical), request)


def signed_header_values(handler, signed_headers):
    values = {}
    for name in signed_headers.split(';'):
        got = handler.headers.get_all(name)
        if not name or not got:
            raise signature_mismatch('unsigned-header-missing')
        values[name] = got
    if 'host' not in values:
        raise Rejected(403, 'SignatureDoesNotMatch', 'host must be a signed header', 'host-not-signed')
    return values


def check_key(state, akid, session_token):
    key = state.key(akid)
    if key is None:
        raise Rejected(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.',
                       'unknown-akid')
    if key['token'] is not None and session_token is None:
        raise Rejected(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.',
                       'session-token-missing')
    if key['token'] != session_token:
        raise Rejected(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.',
                       'session-token-mismatch')
    return key


def verify_header_signed(state, handler, body):
    """Verifies an Authorization: AWS4-HMAC-SHA256 header; returns (akid, key)."""
    auth = handler.headers.get('Authorization', '')
    if not auth.startswith('AWS4-HMAC-SHA256 '):
        raise Rejected(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token', 'unsigned')
    fields = dict(part.strip().split('=', 1) for part in auth[len('AWS4-HMAC-SHA256 '):].split(',') if '=' in part)
    amz_date = handler.headers.get('X-Amz-Date', '')
    signed = parse_amz_date(amz_date)
    akid, region = parse_scope(fields.get('Credential', ''), amz_date)
    key = check_key(state, akid, handler.headers.get('X-Amz-Security-Token'))
    if abs((datetime.now(timezone.utc) - signed).total_seconds()) > HEADER_SKEW:
        raise Rejected(403, 'SignatureDoesNotMatch', 'Signature expired or not yet valid', 'expired')
    headers = signed_header_values(handler, fields.get('SignedHeaders', ''))
    path = urlsplit(handler.path).path
    want = expected_signature(key['secret'], region, amz_date, 'POST', path, headers, [], body)
    if not hmac.compare_digest(want, fields.get('Signature', '')):
        raise signature_mismatch('signature-mismatch')
    return akid, key


def verify_presigned(state, handler):
    """Verifies a presigned GetCallerIdentity URL; returns (akid, key)."""
    split = urlsplit(handler.path)
    params = parse_qsl(split.query, keep_blank_values=True)
    lowered = [k.lower() for k, _ in params]
    # CVE-2022-2385: case-variant duplicates let two readers see different values.
    if len(set(lowered)) != len(lowered):
        raise Rejected(400, 'MalformedQueryString', 'Duplicate query parameter', 'duplicate-parameter')
    query = dict(params)
    if query.get('Action') != 'GetCallerIdentity' or split.path != '/':
        raise Rejected(400, 'InvalidAction', 'Only GetCallerIdentity may be presigned here', 'wrong-action')
    if query.get('X-Amz-Algorithm') != 'AWS4-HMAC-SHA256':
        raise Rejected(400, 'IncompleteSignature', 'X-Amz-Algorithm must be AWS4-HMAC-SHA256', 'wrong-algorithm')
    amz_date = query.get('X-Amz-Date', '')
    signed = parse_amz_date(amz_date)
    akid, region = parse_scope(query.get('X-Amz-Credential', ''), amz_date)
    key = check_key(state, akid, query.get('X-Amz-Security-Token'))
    age = (datetime.now(timezone.utc) - signed).total_seconds()
    if age > PRESIGN_MAX_AGE:
        raise Rejected(403, 'SignatureDoesNotMatch', f'Signature expired: {amz_date} is more than 15 minutes old',
                       'expired')
    if age < -FUTURE_SKEW:
        raise Rejected(403, 'SignatureDoesNotMatch', f'Signature not yet current: {amz_date}', 'future-date')
    headers = signed_header_values(handler, query.get('X-Amz-SignedHeaders', ''))
    unsigned_params = [(k, v) for k, v in params if k != 'X-Amz-Signature']
    want = expected_signature(key['secret'], region, amz_date, 'GET', split.path, headers, unsigned_params, b'')
    if not hmac.compare_digest(want, query.get('X-Amz-Signature', '')):
        raise signature_mismatch('signature-mismatch')
    return akid, key


def local_name(element):
    return element.tag.rsplit('}', 1)[-1]


def find(root, name):
    return next((e for e in root.iter() if local_name(e) == name), None)


def text(root, name):
    element = find(root, name) if root is not None else None
    return element.text if element is not None else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    timeout = 30
    state: State
    moto_url: str

    def log_message(self, *args):
        pass

    def send(self, status, body, content_type):
        data = body.encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(data)))
        self.send_header('x-amzn-RequestId', str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(data)

    def wants_json(self):
        return 'application/json' in self.headers.get('Accept', '')

    def send_error_response(self, rejected):
        request_id = str(uuid.uuid4())
        kind = 'Receiver' if rejected.status >= 500 else 'Sender'
        if self.wants_json():
            body = json.dumps({'Error': {'Code': rejected.code, 'Message': rejected.message, 'Type': kind},
                               'RequestId': request_id})
            return self.send(rejected.status, body, 'application/json')
        body = (f'<ErrorResponse xmlns="{NS}"><Error><Type>{kind}</Type><Code>{rejected.code}</Code>'
                f'<Message>{escape(rejected.message)}</Message></Error><RequestId>{request_id}</RequestId>'
                '</ErrorResponse>')
        self.send(rejected.status, body, 'text/xml')

    def send_identity(self, ident):
        request_id = str(uuid.uuid4())
        if self.wants_json():
            body = json.dumps({'GetCallerIdentityResponse': {'GetCallerIdentityResult': ident,
                                                             'ResponseMetadata': {'RequestId': request_id}}})
            return self.send(200, body, 'application/json')
        fields = ''.join(f'<{k}>{escape(ident[k])}</{k}>' for k in ('UserId', 'Account', 'Arn'))
        body = (f'<GetCallerIdentityResponse xmlns="{NS}"><GetCallerIdentityResult>{fields}'
                f'</GetCallerIdentityResult><ResponseMetadata><RequestId>{request_id}</RequestId>'
                '</ResponseMetadata></GetCallerIdentityResponse>')
        self.send(200, body, 'text/xml')

    def do_GET(self):
        query = dict(parse_qsl(urlsplit(self.path).query))
        entry = {'method': 'GET', 'action': query.get('Action'), 'cluster': self.headers.get('x-k8s-aws-id')}
        try:
            akid, key = verify_presigned(self.state, self)
        except Rejected as rejected:
            akid = query.get('X-Amz-Credential', '').split('/')[0] or None
            self.state.log(**entry, akid=akid, ok=False, reason=rejected.reason)
            return self.send_error_response(rejected)
        self.state.log(**entry, akid=akid, arn=key['identity']['Arn'], ok=True)
        self.send_identity(key['identity'])

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        if urlsplit(self.path).path == '/_peer/fail':
            request = json.loads(body)
            self.state.inject(request['action'], request['kind'], int(request.get('count', 1)), request.get('roleArn'))
            return self.send(200, '{}', 'application/json')
        form = dict(parse_qsl(body.decode('utf-8'), keep_blank_values=True))
        action = form.get('Action')
        entry = {'method': 'POST', 'action': action, 'roleArn': form.get('RoleArn')}
        akid = None
        try:
            if action != 'AssumeRoleWithWebIdentity':
                akid, key = verify_header_signed(self.state, self, body)
            kind = self.state.take_failure(action, form.get('RoleArn'))
            if kind is not None:
                status, code, message = FAIL_KINDS[kind]
                raise Rejected(status, code, message, f'injected-{kind}')
        except Rejected as rejected:
            if akid is None:
                akid = self.headers.get('Authorization', '').partition('Credential=')[2].split('/')[0] or None
            self.state.log(**entry, akid=akid, ok=False, reason=rejected.reason)
            return self.send_error_response(rejected)
        if action == 'GetCallerIdentity':
            self.state.log(**entry, akid=akid, arn=key['identity']['Arn'], ok=True)
            return self.send_identity(key['identity'])
        status, response = self.forward(body)
        issued = self.remember_issued(response, key['identity'] if akid else None) if status == 200 else None
        self.state.log(**entry, akid=akid, issuedAkid=issued, ok=status == 200,
                       reason=None if status == 200 else f'moto-{status}')
        self.send(status, response, 'text/xml')

    def forward(self, body):
        # moto picks the service from the Authorization scope; unsigned calls still reach STS.
        headers = {'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
                   'Authorization': self.headers.get('Authorization') or
                   'AWS4-HMAC-SHA256 Credential=ANONYMOUS/20000101/us-east-1/sts/aws4_request, '
                   'SignedHeaders=host, Signature=0'}
        request = urllib.request.Request(self.moto_url, data=body, headers=headers, method='POST')
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode('utf-8')
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode('utf-8')
        except OSError as err:
            return 502, (f'<ErrorResponse xmlns="{NS}"><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code>'
                         f'<Message>moto_server unreachable: {escape(str(err))}</Message></Error></ErrorResponse>')

    def remember_issued(self, response, caller):
        """Remembers the credentials in an STS response; returns the issued AKID."""
        root = ET.fromstring(response)
        credentials = find(root, 'Credentials')
        if credentials is None:
            return None
        akid = text(credentials, 'AccessKeyId')
        user = find(root, 'AssumedRoleUser')
        if user is None:
            user = find(root, 'FederatedUser')
        if user is not None:
            arn = text(user, 'Arn')
            ident = identity(arn, text(user, 'AssumedRoleId') or text(user, 'FederatedUserId') or akid)
        else:
            ident = caller  # GetSessionToken keeps the caller's identity
        if ident is None:
            return None
        self.state.remember(akid, text(credentials, 'SecretAccessKey'), text(credentials, 'SessionToken'), ident)
        return akid


class TlsThreadingServer(ThreadingHTTPServer):
    """TLS handshakes happen in the request thread, so one slow client never blocks accept()."""
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, handler, context):
        super().__init__(address, handler)
        self.context = context

    def finish_request(self, request, client_address):
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            tls.close()

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, socket.timeout)):
            super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser(description='Verifying STS front for moto_server (tests only).')
    parser.add_argument('--moto', required=True, help='moto_server URL, e.g. http://127.0.0.1:5000')
    parser.add_argument('--cert', required=True)
    parser.add_argument('--key', required=True)
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--keys', help='JSON file of static keys: {"AKID": {"secret", "arn", "userId"?}}')
    parser.add_argument('--log', help='append one JSON line per request here')
    parser.add_argument('--fail', action='append', default=[], metavar='ACTION:KIND:COUNT')
    args = parser.parse_args()

    static_keys = {}
    if args.keys:
        with open(args.keys, encoding='utf-8') as f:
            static_keys = json.load(f)
    state = State(static_keys, args.log)
    for spec in args.fail:
        action, kind, count = spec.split(':')
        state.inject(action, kind, int(count))

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    Handler.state = state
    Handler.moto_url = args.moto.rstrip('/') + '/'
    server = TlsThreadingServer(('127.0.0.1', args.port), Handler, context)
    print(json.dumps({'port': server.server_address[1]}), flush=True)
    server.serve_forever()


if __name__ == '__main__':
    main()
