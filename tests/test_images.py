"""Uploaded pictures are judged by their bytes; bombs and fakes are refused with a reason."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from lms.images import ImageRejected, open_uploaded_image


def png(width: int, height: int) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "navy").save(out, "PNG")
    out.seek(0)
    return out


def test_a_real_picture_is_decoded_whatever_its_name() -> None:
    image = open_uploaded_image(png(40, 30), max_bytes=1024 * 1024)
    assert image.size == (40, 30)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"#!/bin/sh\necho not a picture", "not an image we can use"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "could not be read"),
    ],
)
def test_empty_fake_and_broken_files_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(ImageRejected, match=reason) as refused:
        open_uploaded_image(io.BytesIO(data), max_bytes=1024 * 1024)
    assert refused.value.status == 422 and refused.value.code == "invalid_image"


def test_oversized_files_and_pixel_bombs_are_refused_before_decoding() -> None:
    with pytest.raises(ImageRejected, match="larger than 1 MB"):
        open_uploaded_image(
            io.BytesIO(b"\xff\xd8\xff" + b"0" * 2 * 1024 * 1024), max_bytes=1024 * 1024
        )
    with pytest.raises(ImageRejected, match="too many pixels"):
        open_uploaded_image(png(3000, 2000), max_bytes=10 * 1024 * 1024, max_pixels=1_000_000)
