"""The test suite's own promises: no test reaches the internet, and warnings fail tests."""

from __future__ import annotations

import socket
import warnings

import httpx
import pytest
from pytest_socket import SocketConnectBlockedError


def test_a_socket_to_another_host_is_refused() -> None:
    with pytest.raises(SocketConnectBlockedError), socket.create_connection(("192.0.2.1", 80), 1):
        pass


def test_an_http_client_cannot_reach_the_public_site() -> None:
    with pytest.raises(SocketConnectBlockedError), httpx.Client() as client:
        client.get("http://192.0.2.1/")


def test_a_warning_is_an_error() -> None:
    with pytest.raises(DeprecationWarning):
        warnings.warn("old", DeprecationWarning, stacklevel=1)
