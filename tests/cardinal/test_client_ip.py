"""The client's address behind our proxy: staff sign-in lockouts and intake rate
limits count per visitor, not per proxy, and a forged header changes nothing."""

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory

from cardinal.lib.client_ip import client_ip

PASSWORD = "correct horse battery staple 42"
PROXY = "127.0.0.1"  # nginx on the same machine: REMOTE_ADDR of every request


@pytest.fixture
def behind_one_proxy(settings, two_factor_off):
    settings.ADMISSIONS_PROXY_HOPS = 1
    settings.AXES_FAILURE_LIMIT = 3


def sign_in(client, password, forwarded_for):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "navigator", "password": password},
        REMOTE_ADDR=PROXY,
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


def request_from(remote_addr, forwarded_for=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote_addr, **extra)


@pytest.mark.parametrize(
    ("hops", "remote_addr", "forwarded_for", "expected"),
    [
        (0, "192.0.2.1", "203.0.113.9", "192.0.2.1"),  # no proxy: the header is the client's
        (1, PROXY, "203.0.113.9", "203.0.113.9"),
        (1, PROXY, "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (2, PROXY, "6.6.6.6, 203.0.113.9, 10.1.1.1", "203.0.113.9"),
        (1, PROXY, None, PROXY),  # straight to the app server: its own address
        (1, PROXY, "not-an-address", None),
        (1, PROXY, "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::"),  # IPv6: the /64 network
    ],
)
def test_client_ip_takes_the_entry_our_proxies_appended(
    settings, hops, remote_addr, forwarded_for, expected
):
    settings.ADMISSIONS_PROXY_HOPS = hops
    assert client_ip(request_from(remote_addr, forwarded_for)) == expected
