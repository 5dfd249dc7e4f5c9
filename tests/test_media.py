"""Media loading: every acceptance and rejection path, with real (malformed) bytes made here."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from core.config import Limits
from core.engine.media import MediaError, load_image, probe_video, read_frames, sample_frame_indices, write_h264


def encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
    return Image.fromarray(arr)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF"])
def test_accepts_supported_formats(photo, fmt):
    rgb = load_image(encode(photo, fmt))
    assert rgb.shape == (48, 64, 3) and rgb.dtype == np.uint8


def test_reads_from_path(tmp_path, photo):
    p = tmp_path / "x.png"
    photo.save(p)
    assert np.array_equal(load_image(p), np.asarray(photo))


def test_exif_orientation_is_applied(photo):
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    rgb = load_image(encode(photo, "JPEG", exif=exif.tobytes()))
    assert rgb.shape == (64, 48, 3)


def test_converts_grayscale_cmyk_16bit_alpha_palette(photo):
    assert load_image(encode(photo.convert("L"), "PNG")).shape == (48, 64, 3)
    assert load_image(encode(photo.convert("CMYK"), "JPEG")).shape == (48, 64, 3)
    deep = Image.fromarray((np.linspace(0, 65535, 48 * 64).reshape(48, 64)).astype(np.uint16))
    rgb16 = load_image(encode(deep, "PNG"))
    assert rgb16.shape == (48, 64, 3) and rgb16.max() == 255 and rgb16.min() == 0
    assert load_image(encode(photo.convert("LA"), "PNG")).shape == (48, 64, 3)
    assert load_image(encode(photo.convert("P"), "PNG")).shape == (48, 64, 3)


def test_transparency_is_read_the_same_way_everywhere(photo):
    """A cut-out is laid on neutral grey (no white halo for the detector to read as a seam); an evenly
    see-through photo cuts nothing out, so its colours are read as stored (the same score as opaque)."""
    from core.engine.media import TRANSPARENT_BACKGROUND

    opaque = load_image(encode(photo, "PNG"))
    for level in (0, 128, 255):
        even = photo.convert("RGBA")
        even.putalpha(level)
        assert np.array_equal(load_image(encode(even, "PNG")), opaque)
    cut = photo.convert("RGBA")
    alpha = np.zeros((48, 64), np.uint8)
    alpha[10:30, 20:40] = 255
    cut.putalpha(Image.fromarray(alpha))
    got = load_image(encode(cut, "PNG"))
    assert (got[0, 0] == TRANSPARENT_BACKGROUND).all() and tuple(TRANSPARENT_BACKGROUND) != (255, 255, 255)
    assert np.array_equal(got[10:30, 20:40], opaque[10:30, 20:40])
    webp = load_image(encode(cut, "WEBP", lossless=True))  # the same rule for every format with alpha
    assert (webp[0, 0] == TRANSPARENT_BACKGROUND).all()


def test_animated_gif_gives_first_frame(photo):
    frames = [photo, Image.new("RGB", photo.size, (255, 0, 0))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    rgb = load_image(data)
    assert rgb.shape == (48, 64, 3) and not (rgb == [255, 0, 0]).all()


def test_bad_empty_file_is_refused():
    with pytest.raises(MediaError, match="empty"):
        load_image(b"")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_corrupt_truncated_image_is_refused(photo, fmt):
    data = encode(photo, fmt)
    with pytest.raises(MediaError, match="not an image we can read"):
        load_image(data[: len(data) // 2])


def test_malformed_random_bytes_and_text_are_refused():
    rng = np.random.default_rng(1)
    for data in (rng.integers(0, 256, 4096, dtype=np.uint8).tobytes(), b"Dear teacher, this is not a photo.\n" * 20):
        with pytest.raises(MediaError, match="not an image we can read"):
            load_image(data)


def test_malformed_unsupported_format_is_refused(photo):
    with pytest.raises(MediaError, match="not supported"):
        load_image(encode(photo, "ICO"))


def test_bad_decompression_bomb_is_refused_before_decoding():
    # A 20000×20000 PNG of zeros compresses to a few kB but would need 1.2 GB decoded.
    bomb = encode(Image.new("L", (20000, 20000)), "PNG", optimize=False)
    assert len(bomb) < 2_000_000
    with pytest.raises(MediaError, match="too large"):
        load_image(bomb, limits=Limits(max_pixels=40_000_000))


def test_pixel_limit_is_configurable(photo):
    with pytest.raises(MediaError, match="too large"):
        load_image(encode(photo, "PNG"), limits=Limits(max_pixels=100))


def test_missing_path_says_so(tmp_path):
    with pytest.raises(MediaError, match="could not find"):
        load_image(tmp_path / "nope.jpg")


# ------------------------------------------------------------------------------------------ video


@pytest.fixture(scope="module")
def clip() -> bytes:
    frames = [np.full((64, 96, 3), i * 20, np.uint8) for i in range(12)]
    return write_h264(frames, fps=12)


def test_probe_video_reports_container_size_fps_duration(clip):
    info = probe_video(clip)
    assert (info.width, info.height) == (96, 64)
    assert info.codec == "h264" and "mp4" in info.container
    assert abs(info.fps - 12) < 0.01 and 0.9 < info.duration_s < 1.1 and info.n_frames == 12


def test_read_frames_samples_evenly(clip):
    info, idx, frames = read_frames(clip, n_samples=4)
    assert idx == list(sample_frame_indices(12, 4)) == [1, 4, 7, 10]
    assert [int(f.mean()) for f in frames] == pytest.approx([20 * i for i in idx], abs=3)


def test_video_limits_are_configurable(clip):
    with pytest.raises(MediaError, match="too long"):
        probe_video(clip, limits=Limits(max_video_seconds=0.5))
    with pytest.raises(MediaError, match="too large"):
        probe_video(clip, limits=Limits(max_video_pixels=1000))


def test_corrupt_video_bytes_are_refused(clip):
    with pytest.raises(MediaError):
        probe_video(clip[:200])
    with pytest.raises(MediaError, match="empty"):
        probe_video(b"")
    with pytest.raises(MediaError, match="not a video"):
        probe_video(b"\x00\x01garbage" * 100)
