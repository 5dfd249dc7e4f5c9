"""Fuzz the loaders: seeded mutations of small JPEG/PNG/WebP/TIFF/MP4 files made here.

The property (issue 21, finding 4): whatever the bytes, ``load_image``, ``probe_video`` and ``read_frames``
either return pixels or raise :class:`MediaError` — no ``struct.error``, ``TypeError``, ``KeyError``… that
would reach a student as a traceback. Mutations: flipped bytes, overwritten length/size fields, cuts,
inserted garbage and duplicated slices. Seeded, so a failure names a reproducible case; about half a minute.
"""

from __future__ import annotations

import io
import warnings

import av
import numpy as np
import pytest
from PIL import Image

from core.config import Limits
from core.engine.media import MediaError, load_image, probe_video, read_frames

# Small limits keep every case fast; they do not change which code paths a mutation reaches.
LIMITS = Limits(max_pixels=2_000_000, max_video_pixels=640 * 480, max_decoded_frames=200,
                max_decoded_bytes=8 * 2**20)
PER_IMAGE_FORMAT = 600
VIDEO_CASES = 250
EXTREMES = (b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\x00\x00\x80\x00", b"\x00\x01\x00\x00")


def _picture(w: int, h: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 255 // w, y * 255 // h, (x + y) % 256], axis=-1).astype(np.uint8)


def _save(image: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _seeds() -> dict[str, bytes]:
    rgb = Image.fromarray(_picture(24, 16))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation, so exif_transpose runs
    exif[0x010F] = "Fuzz camera"
    exif[0x0131] = "Fuzz software"
    rgba = rgb.convert("RGBA")
    sixteen = Image.fromarray(_picture(16, 12)[..., 0].astype(np.uint16) * 257)
    floats = Image.fromarray(_picture(16, 12)[..., 1].astype(np.float32) / 7.0)
    return {
        "jpeg": _save(rgb, "JPEG", quality=80, exif=exif.tobytes()),
        "png": _save(rgba, "PNG"),
        "webp": _save(rgb, "WEBP", quality=70),
        "tiff": _save(rgb, "TIFF", exif=exif.tobytes()),
        "tiff16": _save(sixteen, "TIFF"),
        "tiff_float": _save(floats, "TIFF"),
    }


def _mp4() -> bytes:
    buf = io.BytesIO()
    picture = _picture(32, 24)
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 24, "yuv420p"
        stream.options = {"preset": "ultrafast", "g": "4"}
        for i in range(8):
            frame = av.VideoFrame.from_ndarray(np.roll(picture, i, axis=1), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def _mutate(data: bytes, rng: np.random.Generator) -> bytes:
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 4))):
        op = int(rng.integers(0, 6))
        n = len(out)
        if n < 8:
            break
        at = int(rng.integers(0, n))
        if op == 0:  # flip a few bytes
            for pos in rng.integers(0, n, size=int(rng.integers(1, 9))):
                out[int(pos)] = int(rng.integers(0, 256))
        elif op == 1:  # a size, offset or count field gets an extreme value
            value = EXTREMES[int(rng.integers(0, len(EXTREMES)))]
            out[at:at + 4] = value[: max(0, min(4, n - at))]
        elif op == 2:  # cut short
            del out[max(8, at):]
        elif op == 3:  # garbage inserted
            out[at:at] = rng.integers(0, 256, size=int(rng.integers(1, 64)), dtype=np.uint8).tobytes()
        elif op == 4:  # a slice duplicated (repeated chunks, markers, boxes)
            length = int(rng.integers(1, 128))
            out[at:at] = out[at:at + length]
        else:  # header region hit harder: it holds the sizes and offsets
            for pos in rng.integers(0, min(n, 64), size=int(rng.integers(1, 5))):
                out[int(pos)] = int(rng.integers(0, 256))
    return bytes(out)


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp", "tiff", "tiff16", "tiff_float"])
def test_mutated_images_raise_only_media_error(fmt):
    seed = _seeds()[fmt]
    assert load_image(seed, limits=LIMITS).ndim == 3  # the unmutated seed loads
    rng = np.random.default_rng([21, len(fmt)])
    outcomes = {"loaded": 0, "refused": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for case in range(PER_IMAGE_FORMAT):
            data = _mutate(seed, rng)
            try:
                rgb = load_image(data, limits=LIMITS)
            except MediaError:
                outcomes["refused"] += 1
            except Exception as exc:  # noqa: BLE001 - the property under test
                pytest.fail(f"{fmt} case {case}: {type(exc).__name__}: {exc} escaped load_image")
            else:
                assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
                outcomes["loaded"] += 1
    assert outcomes["refused"] > 0  # the mutations do reach the error paths


def test_mutated_videos_raise_only_media_error():
    seed = _mp4()
    assert len(read_frames(seed, 4, limits=LIMITS)[2]) == 4
    rng = np.random.default_rng(2121)
    refused = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        av.logging.set_level(None)
        for case in range(VIDEO_CASES):
            data = _mutate(seed, rng)
            try:
                probe_video(data, limits=LIMITS)
                _, _, frames = read_frames(data, 4, limits=LIMITS, max_side=64)
                assert all(f.dtype == np.uint8 and f.ndim == 3 for f in frames)
            except MediaError:
                refused += 1
            except Exception as exc:  # noqa: BLE001 - the property under test
                pytest.fail(f"mp4 case {case}: {type(exc).__name__}: {exc} escaped the video loaders")
    assert refused > 0
