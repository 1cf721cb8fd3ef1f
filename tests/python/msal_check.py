#!/usr/bin/env python3
"""Microsoft's MSAL for Python, unmodified, against the graphlink emulator over TLS.

Scenarios (one output line each, "ok <scenario>: ..."):
  client_secret          ConfidentialClientApplication with a client secret
  authority_forms        the same with a trailing-slash authority and a domain authority
  client_certificate     certificate credential with public_certificate (PS256 + x5t#S256)
  client_thumbprint      certificate credential with a SHA-1 thumbprint (RS256 + x5t)
  device_flow            PublicClientApplication device flow, approved with a plain form POST
  device_flow_declined   a device flow the user declines
  silent_refresh         acquire_token_silent(force_refresh=True) through the refresh token

Exits non-zero with a message naming the scenario on the first failure.
Needs: python3 -m pip install -r tests/python/requirements.txt
"""

import argparse
import base64
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


class CheckFailed(Exception):
    pass


def fail(scenario, message):
    raise CheckFailed(f"{scenario}: {message}")


def jwt_claims(token):
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


def describe(result):
    """An MSAL result without secrets, for error messages."""
    if not isinstance(result, dict):
        return repr(result)
    return json.dumps({k: v for k, v in result.items()
                       if k in ("error", "error_description", "error_codes", "token_source")})


def require_token(scenario, result):
    if not isinstance(result, dict) or "access_token" not in result:
        fail(scenario, f"no access token: {describe(result)}")
    return jwt_claims(result["access_token"])


def post_form(url, fields, ca):
    """A plain form POST (what a browser sends), with urllib only."""
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    context = ssl.create_default_context(cafile=ca)
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def http_client(args):
    """A requests session trusting the emulator's CA. MSAL's own `verify=` sets the session's
    `verify`, which requests ignores when REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE is set in the
    environment (psf/requests#3829); a session that does not read the environment avoids that."""
    import requests
    session = requests.Session()
    session.verify = args.ca
    session.trust_env = False
    return session


def check_client_secret(msal, args):
    app = msal.ConfidentialClientApplication(
        args.secret_client_id, client_credential=args.secret,
        authority=args.authority, instance_discovery=False, http_client=http_client(args))
    result = app.acquire_token_for_client(scopes=[args.graph_scope])
    claims = require_token("client_secret", result)
    if claims.get("appid") != args.secret_client_id:
        fail("client_secret", f"appid is {claims.get('appid')!r}")
    if "Files.ReadWrite.All" not in claims.get("roles", []):
        fail("client_secret", f"roles are {claims.get('roles')!r}")
    again = app.acquire_token_for_client(scopes=[args.graph_scope])
    if again.get("access_token") != result["access_token"]:
        fail("client_secret", "the second call did not come from MSAL's cache")
    return f"roles={' '.join(claims['roles'])}"


def check_authority_forms(msal, args):
    parsed = urllib.parse.urlsplit(args.authority)
    base = f"{parsed.scheme}://{parsed.netloc}"
    forms = [args.authority.rstrip("/") + "/", f"{base}/{args.domain}"]
    for authority in forms:
        app = msal.ConfidentialClientApplication(
            args.secret_client_id, client_credential=args.secret,
            authority=authority, instance_discovery=False, http_client=http_client(args))
        require_token("authority_forms", app.acquire_token_for_client(scopes=[args.graph_scope]))
    return " ".join(forms)


def read_credentials(args):
    cred_dir = os.path.join(args.data_dir, "credentials")
    with open(os.path.join(cred_dir, f"{args.cert_app_name}.key.pem")) as f:
        key = f.read()
    with open(os.path.join(cred_dir, f"{args.cert_app_name}.cert.pem")) as f:
        cert = f.read()
    return key, cert


def check_client_certificate(msal, args):
    key, cert = read_credentials(args)
    app = msal.ConfidentialClientApplication(
        args.cert_client_id,
        client_credential={"private_key": key, "public_certificate": cert},
        authority=args.authority, instance_discovery=False, http_client=http_client(args))
    claims = require_token("client_certificate",
                           app.acquire_token_for_client(scopes=[args.graph_scope]))
    if claims.get("appid") != args.cert_client_id or claims.get("appidacr") != "2":
        fail("client_certificate", f"appid/appidacr: {claims.get('appid')}/{claims.get('appidacr')}")
    return "PS256 + x5t#S256"


def check_client_thumbprint(msal, args):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    key, cert = read_credentials(args)
    thumbprint = x509.load_pem_x509_certificate(cert.encode()).fingerprint(hashes.SHA1()).hex()
    app = msal.ConfidentialClientApplication(
        args.cert_client_id,
        client_credential={"private_key": key, "thumbprint": thumbprint},
        authority=args.authority, instance_discovery=False, http_client=http_client(args))
    claims = require_token("client_thumbprint",
                           app.acquire_token_for_client(scopes=[args.graph_scope]))
    if claims.get("appid") != args.cert_client_id:
        fail("client_thumbprint", f"appid is {claims.get('appid')!r}")
    return "RS256 + x5t"


def public_app(msal, args):
    return msal.PublicClientApplication(
        args.public_client_id, authority=args.authority,
        instance_discovery=False, http_client=http_client(args))


def start_flow(scenario, app, scopes):
    flow = app.initiate_device_flow(scopes=scopes)
    if "user_code" not in flow:
        fail(scenario, f"initiate_device_flow failed: {describe(flow)}")
    expected = (f"To sign in, use a web browser to open the page {flow['verification_uri']} "
                f"and enter the code {flow['user_code']} to authenticate.")
    if flow.get("message") != expected:
        fail(scenario, f"unexpected message {flow.get('message')!r}")
    return flow


def check_device_flow(msal, args, app):
    flow = start_flow("device_flow", app, ["User.Read", "Files.ReadWrite.All"])
    # One non-blocking poll before approval: pending.
    pending = app.acquire_token_by_device_flow(flow, exit_condition=lambda f: True)
    if pending.get("error") != "authorization_pending":
        fail("device_flow", f"expected authorization_pending, got {describe(pending)}")
    time.sleep(flow["interval"])
    status, html = post_form(flow["verification_uri"],
                             {"user_code": flow["user_code"], "upn": args.upn,
                              "decision": "approve"}, args.ca)
    if status != 200:
        fail("device_flow", f"the login page answered {status}: {html[:300]}")
    result = app.acquire_token_by_device_flow(flow)
    claims = require_token("device_flow", result)
    if "refresh_token" not in result:
        fail("device_flow", "no refresh token")
    id_claims = result.get("id_token_claims") or {}
    if id_claims.get("preferred_username") != args.upn:
        fail("device_flow", f"id token preferred_username {id_claims.get('preferred_username')!r}")
    if claims.get("upn") != args.upn or "Files.ReadWrite.All" not in claims.get("scp", ""):
        fail("device_flow", f"access token upn/scp: {claims.get('upn')}/{claims.get('scp')}")
    return result, f"user={args.upn} scp={claims['scp']}"


def check_device_flow_declined(msal, args):
    app = public_app(msal, args)
    flow = start_flow("device_flow_declined", app, ["User.Read"])
    status, html = post_form(flow["verification_uri"],
                             {"user_code": flow["user_code"], "decision": "decline"}, args.ca)
    if status != 200:
        fail("device_flow_declined", f"the login page answered {status}: {html[:300]}")
    result = app.acquire_token_by_device_flow(flow)
    if result.get("error") not in ("authorization_declined", "access_denied"):
        fail("device_flow_declined", f"expected authorization_declined, got {describe(result)}")
    return result["error"]


def refresh_tokens(app):
    return {rt["secret"] for rt in
            app.token_cache.find(app.token_cache.CredentialType.REFRESH_TOKEN)}


def check_silent_refresh(msal, args, app, first):
    accounts = app.get_accounts(username=args.upn)
    if not accounts:
        fail("silent_refresh", "MSAL's cache has no account for the user")
    before = refresh_tokens(app)
    result = app.acquire_token_silent(["User.Read"], account=accounts[0], force_refresh=True)
    claims = require_token("silent_refresh", result)
    if result.get("token_source") != "identity_provider":
        fail("silent_refresh", f"token_source is {result.get('token_source')!r}")
    if result["access_token"] == first["access_token"]:
        fail("silent_refresh", "the access token did not change")
    after = refresh_tokens(app)
    if not after or after == before:
        fail("silent_refresh", "the refresh token in MSAL's cache did not rotate")
    return f"scp={claims.get('scp')}"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--authority", required=True,
                        help="e.g. https://127.0.0.1:PORT/<tenant-id>")
    parser.add_argument("--ca", required=True, help="the emulator's CA certificate (PEM)")
    parser.add_argument("--data-dir", required=True,
                        help="the emulator's data directory (for the generated certificate)")
    parser.add_argument("--secret-client-id", default="11111111-1111-4111-8111-111111111111")
    parser.add_argument("--secret", default="emulator-client-secret")
    parser.add_argument("--cert-client-id", default="22222222-2222-4222-8222-222222222222")
    parser.add_argument("--cert-app-name", default="cert-app")
    parser.add_argument("--public-client-id", default="33333333-3333-4333-8333-333333333333")
    parser.add_argument("--domain", default="contoso.onmicrosoft.com",
                        help="the tenant's domain, tried as an authority too")
    parser.add_argument("--upn", default="adele@contoso.onmicrosoft.com")
    parser.add_argument("--graph-scope", default="https://graph.microsoft.com/.default")
    args = parser.parse_args()

    try:
        import msal
    except ImportError:
        print("msal is not installed: run `python3 -m pip install -r "
              "tests/python/requirements.txt`", file=sys.stderr)
        return 2

    try:
        print(f"ok client_secret: {check_client_secret(msal, args)}", flush=True)
        print(f"ok authority_forms: {check_authority_forms(msal, args)}", flush=True)
        print(f"ok client_certificate: {check_client_certificate(msal, args)}", flush=True)
        print(f"ok client_thumbprint: {check_client_thumbprint(msal, args)}", flush=True)
        app = public_app(msal, args)
        first, detail = check_device_flow(msal, args, app)
        print(f"ok device_flow: {detail}", flush=True)
        print(f"ok device_flow_declined: {check_device_flow_declined(msal, args)}", flush=True)
        print(f"ok silent_refresh: {check_silent_refresh(msal, args, app, first)}", flush=True)
    except CheckFailed as e:
        print(f"FAILED {e}", file=sys.stderr)
        return 1
    except Exception as e:  # MSAL raising (bad authority, TLS, ...) is a failure too.
        print(f"FAILED with {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(f"msal {msal.__version__}: all scenarios passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
