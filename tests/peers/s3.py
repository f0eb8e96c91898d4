"""A real S3 endpoint on loopback for the tests: moto's server mode, one for the session, with a bucket."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.peers.smtp_sink import free_port

BUCKET = "relais-files"


@dataclass(frozen=True)
class S3Peer:
    endpoint: str
    bucket: str = BUCKET
    key_id: str = "testing"
    secret: str = "testing"


@pytest.fixture(scope="session")
def s3():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    peer = S3Peer(f"http://{host}:{port}")
    import boto3  # moto's own dependency: only to make the bucket

    boto3.client("s3", endpoint_url=peer.endpoint, region_name="us-east-1", aws_access_key_id=peer.key_id,
                 aws_secret_access_key=peer.secret).create_bucket(Bucket=BUCKET)
    yield peer
    server.stop()
