"""The client's address behind our proxy: staff sign-in lockouts and intake rate
limits count per visitor, not per proxy, and a forged header changes nothing:
X-Forwarded-For is read only from our own proxies (TRUSTED_PROXIES)."""

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory

from cardinal.lib.client_ip import client_ip
from tests.cardinal.helpers import settings_from_env

PASSWORD = "correct horse battery staple 42"
PROXY = "127.0.0.1"  # nginx on the same machine: REMOTE_ADDR of every request


@pytest.fixture
def behind_one_proxy(settings, two_factor_off):
    settings.TRUSTED_PROXIES = [f"{PROXY}/32"]
    settings.AXES_FAILURE_LIMIT = 3


def sign_in(client, password, forwarded_for, remote_addr=PROXY):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "navigator", "password": password},
        REMOTE_ADDR=remote_addr,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.mark.django_db
def test_failed_sign_ins_lock_out_the_forwarded_address_not_the_proxy(
    client, django_user_model, behind_one_proxy
):
    staff = django_user_model.objects.create_user(
        "navigator", "nav@example.org", PASSWORD, is_staff=True
    )
    for _ in range(3):
        sign_in(client, "wrong password", "203.0.113.9")
    assert sign_in(client, PASSWORD, "203.0.113.9").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}

    colleague = Client()
    response = sign_in(colleague, PASSWORD, "198.51.100.20")
    assert response.status_code == 302
    assert colleague.session["_auth_user_id"] == str(staff.pk)


@pytest.mark.django_db
def test_forging_x_forwarded_for_does_not_escape_the_lockout(
    client, django_user_model, behind_one_proxy
):
    django_user_model.objects.create_user("navigator", "nav@example.org", PASSWORD, is_staff=True)
    # The client writes the left part; the proxy appends the address it saw.
    for forged in ["10.0.0.1", "10.0.0.2", "10.0.0.3"]:
        sign_in(client, "wrong password", f"{forged}, 203.0.113.9")
    assert sign_in(client, PASSWORD, "10.0.0.4, 203.0.113.9").status_code == 429


@pytest.mark.django_db
def test_a_peer_that_is_no_proxy_of_ours_cannot_escape_the_lockout_with_the_header(
    client, django_user_model, behind_one_proxy
):
    django_user_model.objects.create_user("navigator", "nav@example.org", PASSWORD, is_staff=True)
    direct = "198.51.100.7"  # talks to the app server itself, not through nginx
    for n in range(3):
        sign_in(client, "wrong password", f"203.0.113.{n}", remote_addr=direct)
    assert sign_in(client, PASSWORD, "203.0.113.99", remote_addr=direct).status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {direct}


def request_from(remote_addr, forwarded_for=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote_addr, **extra)


# Loopback (nginx on this host) and a load balancer's network in front of it.
TRUSTED = ["127.0.0.1/32", "::1/128", "10.0.0.0/8"]


@pytest.mark.parametrize(
    ("remote_addr", "forwarded_for", "expected"),
    [
        ("192.0.2.1", "203.0.113.9", "192.0.2.1"),  # no proxy of ours: the header is ignored
        (PROXY, "203.0.113.9", "203.0.113.9"),
        (PROXY, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # the left part is the client's
        (PROXY, "6.6.6.6, 203.0.113.9, 10.1.1.1", "203.0.113.9"),  # two proxies of ours
        (PROXY, "10.0.0.7, 10.1.1.1", "10.0.0.7"),  # every hop ours: the furthest one
        (PROXY, None, PROXY),  # straight to the app server: its own address
        (PROXY, "not-an-address", None),
        (PROXY, "not-an-address, 203.0.113.9", "203.0.113.9"),  # never read past the client
        (PROXY, "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::"),  # IPv6: the /64 network
        ("::1", "203.0.113.9", "203.0.113.9"),
        # IPv4-mapped IPv6 (a dual-stack socket's IPv4 peer) is the IPv4 address,
        # not the /64 network :: that every IPv4 client would share.
        ("::ffff:198.51.100.1", None, "198.51.100.1"),
        (PROXY, "::ffff:198.51.100.1", "198.51.100.1"),
        ("::ffff:127.0.0.1", "203.0.113.9", "203.0.113.9"),  # a mapped proxy is trusted
        ("::ffff:192.0.2.1", "203.0.113.9", "192.0.2.1"),
        ("", "203.0.113.9", None),
    ],
)
def test_client_ip_walks_x_forwarded_for_only_through_our_proxies(
    settings, remote_addr, forwarded_for, expected
):
    settings.TRUSTED_PROXIES = TRUSTED
    assert client_ip(request_from(remote_addr, forwarded_for)) == expected


def test_trusted_proxies_default_to_loopback_and_refuse_what_is_no_network():
    assert settings_from_env(DJANGO_DEBUG="1")["TRUSTED_PROXIES"] == ["127.0.0.1/32", "::1/128"]
    chosen = settings_from_env(DJANGO_DEBUG="1", TRUSTED_PROXIES="10.0.0.1/8, 192.0.2.7")
    assert chosen["TRUSTED_PROXIES"] == ["10.0.0.0/8", "192.0.2.7/32"]
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES must list IP networks"):
        settings_from_env(DJANGO_DEBUG="1", TRUSTED_PROXIES="10.0.0.0/8, nginx")
