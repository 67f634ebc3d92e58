"""Browsers ask every site for /favicon.ico: it is served, and pages point at the SVG one."""

import pytest
from django.test import Client
from django.urls import reverse


def test_favicon_ico_is_served_at_the_root():
    response = Client().get("/favicon.ico")

    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file


@pytest.mark.django_db
def test_pages_declare_the_svg_icon():
    html = Client().get(reverse("accounts:login")).content.decode()

    assert 'rel="icon"' in html
    assert "favicon.svg" in html
