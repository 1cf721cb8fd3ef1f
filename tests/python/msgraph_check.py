#!/usr/bin/env python3
"""Microsoft's Graph SDK for Python (msgraph-sdk, unmodified) against the graphlink emulator.

Authenticates with azure-identity's ClientSecretCredential at the emulator's authority, then uses
GraphServiceClient (custom base URL, an httpx client trusting the emulator's CA) to list a
drive's root children, upload a small file with PUT content, download it back and compare.
Prints one line per scenario; exits non-zero on the first failure.
"""

import argparse
import asyncio
import os
import ssl
import sys
import traceback
from urllib.parse import urlparse


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--base-url", required=True, help="emulator origin, e.g. https://127.0.0.1:1234")
    p.add_argument("--graph-url", required=True, help="Graph base, e.g. https://127.0.0.1:1234/v1.0")
    p.add_argument("--ca", required=True, help="CA certificate (PEM) the emulator's TLS chains to")
    p.add_argument("--tenant", required=True)
    p.add_argument("--client-id", required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--user", default="adele@contoso.onmicrosoft.com", help="whose OneDrive to use")
    return p.parse_args()


async def run(args):
    # Trust the emulator's CA everywhere (aiohttp/requests/httpx read these too).
    os.environ["SSL_CERT_FILE"] = args.ca
    os.environ["REQUESTS_CA_BUNDLE"] = args.ca

    import httpx
    from azure.identity.aio import ClientSecretCredential
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph.generated.models.drive_item import DriveItem
    from msgraph.generated.models.folder import Folder
    from msgraph_core import GraphClientFactory

    credential = ClientSecretCredential(
        args.tenant,
        args.client_id,
        args.secret,
        authority=args.base_url,
        connection_verify=args.ca,
        disable_instance_discovery=True,
    )
    host = urlparse(args.graph_url).hostname
    auth = AzureIdentityAuthenticationProvider(
        credential,
        scopes=["https://graph.microsoft.com/.default"],
        allowed_hosts=[host],
    )
    tls = ssl.create_default_context(cafile=args.ca)
    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(verify=tls, base_url=args.graph_url, timeout=60)
    )
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = args.graph_url
    client = GraphServiceClient(request_adapter=adapter)
    failures = 0

    def report(ok, scenario, detail):
        nonlocal failures
        print(f"{'OK' if ok else 'FAIL'} {scenario}: {detail}", flush=True)
        if not ok:
            failures += 1

    try:
        drive = await client.users.by_user_id(args.user).drive.get()
        report(bool(drive and drive.id and drive.id.startswith("b!")), "get-drive", drive.id if drive else None)
        drive_id = drive.id

        folder = DriveItem(name="sdk folder", folder=Folder(),
                           additional_data={"@microsoft.graph.conflictBehavior": "rename"})
        created = await client.drives.by_drive_id(drive_id).items.by_drive_item_id("root").children.post(folder)
        report(bool(created and created.folder is not None), "create-folder", created.name if created else None)

        payload = "hello from msgraph-sdk, ünïcødé ✓\n".encode("utf-8") * 100
        name = "sdk upload #1.txt"
        uploaded = await (
            client.drives.by_drive_id(drive_id)
            .items.by_drive_item_id(f"root:/{name}:")
            .content.put(payload)
        )
        ok = bool(uploaded and uploaded.name == name and uploaded.size == len(payload))
        report(ok, "upload-put-content", f"{uploaded.name!r} {uploaded.size} bytes" if uploaded else None)

        page = await client.drives.by_drive_id(drive_id).items.by_drive_item_id("root").children.get()
        names = sorted(i.name for i in (page.value or []))
        report(name in names and "sdk folder" in names, "list-root-children", names)

        data = await client.drives.by_drive_id(drive_id).items.by_drive_item_id(uploaded.id).content.get()
        report(data == payload, "download-content", f"{len(data or b'')} bytes, equal={data == payload}")

        item = await client.drives.by_drive_id(drive_id).items.by_drive_item_id(uploaded.id).get()
        qxh = item.file.hashes.quick_xor_hash if item and item.file and item.file.hashes else None
        report(bool(qxh and len(qxh) == 28), "item-quickxorhash", qxh)
    except Exception as e:  # noqa: BLE001 - report any SDK error as a failed scenario
        traceback.print_exc()
        report(False, "exception", repr(e))
    finally:
        await credential.close()
    return failures


def main():
    args = parse_args()
    failures = asyncio.run(run(args))
    if failures:
        print(f"{failures} scenario(s) failed", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
