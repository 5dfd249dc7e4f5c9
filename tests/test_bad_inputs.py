"""The bad-input corpus: what students upload, through the core API and through the pages.

Every file is made here (nothing downloaded): empty, cut short, random bytes or text with a media name,
a decompression bomb, extreme sizes, unusual colour modes, an animated GIF, videos with no frames, one
frame, no picture, a variable frame rate or a 20-minute running time, a photo with 40 faces and one with
none. Each must end in a result or in a clear message (what happened, what to do): never a traceback,
and the page must still work for the next, good upload.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Callable

import av
import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from core.config import Limits
from core.engine.faces import load_sample
from core.engine.media import (TRANSPARENT_BACKGROUND, MediaError, encode_jpeg, encode_png, load_image, probe_video,
                               write_h264)
from core.fakes.scenes import scene
from core.engine.video import analyze_video

ROOT = Path(__file__).resolve().parent.parent
# A refusal says what to do next, not only what went wrong.
WHAT_TO_DO = re.compile(r"\b(try|use|choose|resize|export|cut|upload)\b", re.I)


# ------------------------------------------------------------------------------------------- generators


@lru_cache(maxsize=None)
def _grace() -> np.ndarray:
    return load_sample("grace_hopper")


def _save(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _png_1bit(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of any size in a few kB: the compressed rows are all alike."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\0" + b"\xaa" * ((width + 7) // 8)
    z = zlib.compressobj(6)
    body = b"".join(z.compress(row * 500) for _ in range(height // 500)) + z.compress(row * (height % 500)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def _video(pts: list[int], *, size=(64, 48), rate=Fraction(10), time_base: Fraction | None = None,
           face: bool = False) -> bytes:
    """An H.264 MP4 whose frames carry the given presentation times (in ``time_base`` units)."""
    buf = io.BytesIO()
    w, h = size
    picture = (np.asarray(Image.fromarray(_grace()).resize((w, h))) if face
               else np.full((h, w, 3), 90, np.uint8))
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        if time_base is not None:
            stream.codec_context.time_base = time_base
        for t in pts:
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = t
            if time_base is not None:
                frame.time_base = time_base
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def _video_without_frames() -> bytes:
    buf = io.BytesIO()
    out = av.open(buf, "w", format="mp4")
    stream = out.add_stream("libx264", rate=10)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    out.start_encoding()
    out.close()
    return buf.getvalue()


def _audio_only() -> bytes:
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=8000)
        for i in range(8):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 8000, i * 1024
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def _face_clip() -> bytes:
    return write_h264([np.asarray(Image.fromarray(_grace()).resize((160, 188)))] * 12, fps=6)


def _forty_faces() -> np.ndarray:
    # Eight columns of five rows; the first column larger, so "largest first" has something to choose.
    return scene(1600, 1000, 40)


def _no_face() -> np.ndarray:
    """A 640×480 "landscape": sky gradient, a textured ground, a few blobs; nothing like a face."""
    y, x = np.mgrid[0:480, 0:640].astype(np.float32)
    img = np.dstack([120 + 60 * y / 480, 160 + 40 * y / 480, 230 - 80 * y / 480])
    ground = y > 300
    img[ground] = (np.dstack([70 + 30 * np.sin(x / 7), 120 + 20 * np.cos(y / 5), 60 + 0 * x]))[ground]
    return np.clip(img, 0, 255).astype(np.uint8)


def _rgba() -> bytes:
    rgba = np.dstack([_grace(), np.full(_grace().shape[:2], 255, np.uint8)])
    rgba[:60, :, 3] = 0  # a transparent band at the top
    return _save(Image.fromarray(rgba, "RGBA"), "PNG")


def _sixteen_bit() -> bytes:
    gray = np.asarray(Image.fromarray(_grace()).convert("L"), np.uint16) * 200
    return _save(Image.fromarray(gray.astype(np.uint16)), "PNG")  # mode I;16


def _animated_gif() -> bytes:
    first = Image.fromarray(_grace())
    second = Image.new("RGB", first.size, (0, 0, 0))
    return _save(first, "GIF", save_all=True, append_images=[second], duration=200, loop=0)


def _rotated_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display": phones write this instead of turning the pixels
    sideways = Image.fromarray(_grace()).transpose(Image.Transpose.ROTATE_90)
    return _save(sideways, "JPEG", exif=exif.tobytes())


# ------------------------------------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class Case:
    """One bad (or awkward) input. ``refusal``: a regex the student's message must match, or None when the
    file must be accepted; then ``faces`` is how many faces the lab must find (None: don't check)."""

    name: str
    filename: str
    make: Callable[[], bytes]
    refusal: str | None = None
    faces: int | None = None
    shape: tuple[int, int] | None = None


IMAGES = [
    Case("zero_byte", "empty.jpg", lambda: b"", refusal=r"empty \(0 bytes\)"),
    Case("truncated_jpeg", "cut.jpg", lambda: encode_jpeg(_grace())[:9000], refusal=r"damaged or cut short"),
    Case("truncated_png", "cut.png", lambda: encode_png(_grace())[:20000], refusal=r"damaged or cut short"),
    Case("header_only_jpeg", "head.jpg", lambda: encode_jpeg(_grace())[:600], refusal=r"not an image we can read"),
    Case("random_bytes", "noise.jpg", lambda: np.random.default_rng(0).bytes(5000), refusal=r"not an image we can read"),
    Case("text_as_jpg", "notes.jpg", lambda: b"My homework: deepfakes are...\n" * 40, refusal=r"not an image we can read"),
    Case("pdf_as_png", "paper.png", lambda: b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
         refusal=r"not an image we can read"),
    Case("svg_as_png", "logo.png", lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>',
         refusal=r"not an image we can read"),
    Case("ppm_as_jpg", "scan.jpg", lambda: _save(Image.fromarray(_grace()), "PPM"), refusal=r"PPM files are not supported"),
    Case("decompression_bomb", "bomb.png", lambda: _png_1bit(15000, 15000), refusal=r"too large to analyse"),
    Case("huge_12000x12000", "huge.png", lambda: _png_1bit(12000, 12000), refusal=r"12000×12000 pixels"),
    Case("one_pixel", "dot.png", lambda: encode_png(np.full((1, 1, 3), 200, np.uint8)), faces=0, shape=(1, 1)),
    Case("eight_pixels", "tiny.png", lambda: encode_png(_grace()[::64, ::64][:8, :8]), faces=0),
    Case("panorama_20000x20", "strip.png", lambda: encode_png(np.full((20, 20000, 3), 120, np.uint8)), faces=0),
    Case("grayscale_jpeg", "gray.jpg", lambda: _save(Image.fromarray(_grace()).convert("L"), "JPEG"), faces=1),
    Case("cmyk_jpeg", "cmyk.jpg", lambda: _save(Image.fromarray(_grace()).convert("CMYK"), "JPEG"), faces=1),
    Case("sixteen_bit_png", "deep.png", _sixteen_bit, faces=1),
    Case("alpha_png", "cutout.png", _rgba, faces=1),
    Case("palette_png", "palette.png", lambda: _save(Image.fromarray(_grace()).convert("P"), "PNG"), faces=1),
    Case("animated_gif", "moving.gif", _animated_gif, faces=1),
    Case("png_named_jpg", "wrong.jpg", lambda: encode_png(_grace()), faces=1),
    Case("exif_rotated_jpeg", "phone.jpg", _rotated_jpeg, faces=1, shape=(600, 512)),
    Case("no_face", "landscape.jpg", lambda: encode_jpeg(_no_face()), faces=0),
]

VIDEOS = [
    Case("zero_byte_video", "empty.mp4", lambda: b"", refusal=r"empty \(0 bytes\)"),
    Case("truncated_mp4", "cut.mp4", lambda: _face_clip()[: len(_face_clip()) // 2], refusal=r"not a video we can read"),
    Case("random_bytes_video", "noise.mp4", lambda: np.random.default_rng(1).bytes(8000), refusal=r"not a video we can read"),
    Case("text_as_mp4", "notes.mp4", lambda: b"not a video at all\n" * 50, refusal=r"not a video we can read"),
    Case("video_no_frames", "blank.mp4", _video_without_frames, refusal=r"no video picture"),
    Case("audio_only", "song.mp4", _audio_only, refusal=r"no video picture in it \(perhaps it is audio only\)"),
    Case("twenty_minutes", "lecture.mp4", lambda: _video(list(range(0, 1200, 60)), rate=Fraction(1, 60),
                                                         time_base=Fraction(1, 1)), refusal=r"too long \(20\.\d minutes\)"),
    Case("one_frame", "still.mp4", lambda: _video([0], size=(128, 150), face=True), faces=1),
    Case("variable_frame_rate", "vfr.mp4", lambda: _video([0, 1, 2, 5, 6, 20, 21, 40], size=(128, 150),
                                                          time_base=Fraction(1, 10), face=True), faces=1),
]


@lru_cache(maxsize=None)
def data(case: Case) -> bytes:
    return case.make()


def _assert_clear(message: str, pattern: str) -> None:
    assert re.search(pattern, message), message
    assert WHAT_TO_DO.search(message), f"says what happened but not what to do: {message}"
    assert "Traceback" not in message and "Error" not in message, message


# ------------------------------------------------------------------------------------------- core API


@pytest.mark.parametrize("case", IMAGES, ids=[c.name for c in IMAGES])
def test_bad_image_through_core(case, lab):
    if case.refusal:
        with pytest.raises(MediaError) as err:
            load_image(data(case))
        _assert_clear(str(err.value), case.refusal)
        return
    rgb = load_image(data(case))
    assert rgb.ndim == 3 and rgb.shape[2] == 3 and rgb.dtype == np.uint8 and rgb.flags.c_contiguous
    if case.shape:
        assert rgb.shape[:2] == case.shape
    report = lab.analyze_image(rgb)
    assert len(report.faces) == case.faces and report.skipped_faces == 0
    assert all(0.0 <= f.fake_prob <= 1.0 for f in report.faces)


def test_bad_image_modes_keep_their_look():
    """Conversions are faithful: greys stay grey, transparency becomes neutral grey, 16-bit is stretched not
    clipped."""
    gray = load_image(data(next(c for c in IMAGES if c.name == "grayscale_jpeg")))
    assert np.array_equal(gray[..., 0], gray[..., 1]) and np.array_equal(gray[..., 1], gray[..., 2])
    alpha = load_image(data(next(c for c in IMAGES if c.name == "alpha_png")))
    assert (alpha[:60] == TRANSPARENT_BACKGROUND).all() and np.array_equal(alpha[60:], _grace()[60:])
    deep = load_image(data(next(c for c in IMAGES if c.name == "sixteen_bit_png")))
    assert deep.min() == 0 and deep.max() == 255 and len(np.unique(deep)) > 100
    gif = load_image(data(next(c for c in IMAGES if c.name == "animated_gif")))
    assert gif.mean() > 40  # the first frame (the photo), not the black second frame


def test_bad_huge_image_is_refused_before_any_pixel_is_decoded():
    """The 12000×12000 and the bomb are refused from their headers, whatever their compressed size."""
    import tracemalloc

    tracemalloc.start()
    try:
        for name in ("huge_12000x12000", "decompression_bomb"):
            with pytest.raises(MediaError):
                load_image(data(next(c for c in IMAGES if c.name == name)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20  # far below the 144-225 MB the pixels would take


def test_bad_forty_faces_are_capped_largest_first_and_counted(lab):
    rgb = _forty_faces()
    found = lab.extractor.detect(rgb, crops=False)
    assert len(found) > 20, "the tiled scene must hold more faces than the limit"
    report = lab.analyze_image(rgb)
    assert len(report.faces) == lab.limits.max_faces == 20
    assert report.skipped_faces == len(found) - 20
    sizes = sorted((f.size for f in found), reverse=True)
    analysed = sorted((max(f.box[2] - f.box[0], f.box[3] - f.box[1]) for f in report.faces), reverse=True)
    assert np.allclose(analysed, sizes[:20], rtol=1e-4)
    few = lab.analyze_image(rgb, max_faces=3)
    assert len(few.faces) == 3 and few.skipped_faces == len(found) - 3


@pytest.mark.parametrize("case", VIDEOS, ids=[c.name for c in VIDEOS])
def test_bad_video_through_core(case, lab):
    if case.refusal:
        for call in (probe_video, lambda d: analyze_video(lab, d, n_frames=8)):
            with pytest.raises(MediaError) as err:
                call(data(case))
            _assert_clear(str(err.value), case.refusal)
        return
    info = probe_video(data(case))
    report = analyze_video(lab, data(case), n_frames=8, detect_every=1)
    assert len(report.frame_indices) == min(8, info.n_frames)
    assert np.all(np.diff(report.times_s) > 0)
    assert all(len(f) == case.faces for f in report.faces)
    assert report.score is not None and 0.0 <= report.score <= 1.0


def test_bad_long_video_is_analysed_cheaply_when_the_limit_allows(lab):
    """A 20-minute video is refused by default; with the limit raised, only the sampled frames are decoded."""
    long = data(next(c for c in VIDEOS if c.name == "twenty_minutes"))
    info = probe_video(long, limits=Limits(max_video_seconds=1500))
    assert 1199 <= info.duration_s <= 1261
    report = analyze_video(lab, long, n_frames=6, limits=Limits(max_video_seconds=1500))
    assert len(report.frame_indices) == 6 and report.times_s[-1] > 600
    assert report.score is None and report.frames_with_faces == 0  # a grey picture: no face, no verdict


def test_bad_video_frame_size_limit_is_explained():
    clip = data(next(c for c in VIDEOS if c.name == "one_frame"))
    with pytest.raises(MediaError) as err:
        probe_video(clip, limits=Limits(max_video_pixels=64 * 64))
    _assert_clear(str(err.value), r"frames are too large \(128×150\)")


def test_corrupt_video_damaged_in_the_middle_gives_frames_or_a_message(lab):
    clip = bytearray(_face_clip())
    rng = np.random.default_rng(2)
    mid = len(clip) // 2
    clip[mid:mid + 2000] = rng.bytes(2000)
    try:
        report = analyze_video(lab, bytes(clip), n_frames=12, detect_every=1)
    except MediaError as err:
        _assert_clear(str(err), r"video")
    else:
        assert 1 <= len(report.frame_indices) <= 12


# ------------------------------------------------------------------------------------------- pages


def _page(name: str) -> str:
    return str(ROOT / "pages" / name)


def _messages(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in [*at.error, *at.warning, *at.success, *at.info, *at.caption])


def _upload(at: AppTest, key: str, case_or_name, payload: bytes | None = None) -> AppTest:
    name, payload = (case_or_name.filename, data(case_or_name)) if isinstance(case_or_name, Case) else (case_or_name, payload)
    at.file_uploader(key=key).upload(name, payload, "application/octet-stream")
    at.run(timeout=120)
    return at


PHOTO_PAGES = [("faces.py", "faces"), ("detect_photo.py", "detect_photo")]


@pytest.mark.parametrize("page,key", PHOTO_PAGES, ids=[p for p, _ in PHOTO_PAGES])
def test_bad_uploads_on_photo_pages_are_explained_and_the_page_recovers(page, key, grace):
    """Every bad image, one after another in one browser session, then a good photo: each gets a message or a
    result, none a traceback, and the good photo afterwards is analysed normally."""
    at = AppTest.from_file(_page(page))
    at.run(timeout=180)
    at.radio(key=f"{key}_source").set_value("Upload a photo").run(timeout=60)
    for case in IMAGES:
        _upload(at, f"{key}_upload", case)
        assert not at.exception, (case.name, at.exception)
        text = _messages(at)
        if case.refusal:
            assert at.error and re.search(case.refusal, at.error[0].value), (case.name, text)
        elif case.faces == 0:
            assert "No face found" in text, (case.name, text)
        else:
            assert f"Found {case.faces} face" in text, (case.name, text)
    _upload(at, f"{key}_upload", "good.jpg", encode_jpeg(grace))
    # No error left over (a red box here can only be the verdict's own "likely manipulated" summary).
    assert not at.exception and all("Found 1 face" in e.value for e in at.error)
    assert "Found 1 face" in _messages(at)


def test_bad_forty_face_photo_on_pages_reports_the_limit():
    payload = encode_jpeg(_forty_faces())
    at = AppTest.from_file(_page("detect_photo.py"))
    at.run(timeout=180)
    at.radio(key="detect_photo_source").set_value("Upload a photo").run(timeout=60)
    _upload(at, "detect_photo_upload", "class_photo.jpg", payload)
    assert not at.exception
    text = _messages(at)
    assert "Found 20 faces" in text and "smaller face(s) were not analysed" in text
    at = AppTest.from_file(_page("faces.py"))
    at.run(timeout=60)
    at.radio(key="faces_source").set_value("Upload a photo").run(timeout=60)
    _upload(at, "faces_upload", "class_photo.jpg", payload)
    assert not at.exception
    assert "Showing the 20 largest faces' crops" in _messages(at)
    assert len(at.get("image")) == 1 + 20  # the photo and 20 crops, not 40


def test_bad_videos_on_the_video_page_are_explained_and_the_page_recovers():
    at = AppTest.from_file(_page("detect_video.py"))
    at.run(timeout=180)
    at.radio(key="detect_video_source").set_value("Upload a video").run(timeout=60)
    at.slider(key="detect_video_frames").set_value(8).run(timeout=60)
    good = next(c for c in VIDEOS if c.name == "one_frame")
    for case in [c for c in VIDEOS if c.refusal] + [good]:
        _upload(at, "detect_video_upload", case)
        at.button(key="detect_video_go").click().run(timeout=120)
        assert not at.exception, (case.name, at.exception)
        if case.refusal:
            assert at.error and re.search(case.refusal, at.error[0].value), (case.name, _messages(at))
    assert not at.error
    assert list(at.session_state["detect_video_result"].values())[-1]["name"] == good.filename


# ------------------------------------------------------------------------------------------- Security v2 (issue 21)


def _jpeg_of(w: int, h: int, value: int = 90) -> bytes:
    return _save(Image.fromarray(np.full((h, w, 3), value, np.uint8)), "JPEG", quality=50)


def _mjpeg_avi(sizes: list[tuple[int, int]], *, header: tuple[int, int] = (64, 64), rate: int = 10) -> bytes:
    """An MJPEG AVI whose stream header says ``header`` and whose JPEG frames have their own ``sizes``."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="avi") as out:
        stream = out.add_stream("mjpeg", rate=rate)
        stream.width, stream.height, stream.pix_fmt = *header, "yuvj420p"
        for i, (w, h) in enumerate(sizes):
            packet = av.Packet(_jpeg_of(w, h, 20 * i % 255))
            packet.stream, packet.pts, packet.dts, packet.time_base = stream, i, i, Fraction(1, rate)
            out.mux(packet)
    return buf.getvalue()


def _h264(n: int, rate: int, size=(32, 32)) -> bytes:
    buf = io.BytesIO()
    picture = np.full((size[1], size[0], 3), 90, np.uint8)
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for i in range(n):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def test_video_frames_larger_than_their_header_are_never_decoded_at_full_size():
    """The MJPEG AVI that took the server from 1.5 to 7 GB: the header (and the first frames) say 64×64, later
    frames are much larger. Each frame's own size is checked; decoding stops where the size changes."""
    from core.engine.media import read_frames

    data = _mjpeg_avi([(64, 64)] * 2 + [(640, 640)] * 6)
    info = probe_video(data)
    assert (info.width, info.height) == (64, 64)
    _, indices, frames = read_frames(data, 8, limits=Limits(max_video_pixels=100 * 100))
    assert indices == [0, 1] and all(f.shape == (64, 64, 3) for f in frames)
    # A stream whose very first frame is over the limit is refused, whatever the header said.
    big = _mjpeg_avi([(640, 640)] * 3, header=(64, 64))
    with pytest.raises(MediaError, match="too large"):
        read_frames(big, 3, limits=Limits(max_video_pixels=100 * 100))
    # Frames are always shrunk by their own size (here the header's size would not have asked for it).
    _, _, frames = read_frames(big, 3, max_side=128)
    assert all(max(f.shape[:2]) <= 128 for f in frames)


def test_video_claiming_a_thousand_frames_a_second_is_refused():
    """A "1 s" clip with 1,000 frames: its frame count would set how much the worker decodes."""
    data = _h264(1000, rate=1000)
    with pytest.raises(MediaError, match="1,000 frames a second") as err:
        probe_video(data)
    _assert_clear(str(err.value), "frames a second")


def test_video_decoding_stops_at_the_frame_and_byte_budgets():
    from core.engine.media import read_frames

    data = _h264(600, rate=30, size=(64, 48))
    _, indices, _ = read_frames(data, 8)
    assert len(indices) == 8
    _, indices, _ = read_frames(data, 8, limits=Limits(max_decoded_frames=50))
    assert 1 <= len(indices) < 8 and max(indices) < 50  # the work budget ends decoding early…
    _, indices, frames = read_frames(data, 8, limits=Limits(max_decoded_bytes=3 * 64 * 48 * 3))
    assert len(frames) == 3  # …and so does the memory budget of the kept frames


def test_sampled_video_frames_are_reached_by_seeking_to_keyframes(monkeypatch):
    import core.engine.media as media

    data = _h264(3000, rate=30)
    decoded = []
    real = media._decode

    def counting(container, stream):
        for frame in real(container, stream):
            decoded.append(1)
            yield frame

    monkeypatch.setattr(media, "_decode", counting)
    _, indices, _ = media.read_frames(data, 8)
    assert len(indices) == 8 and indices[-1] > 2500
    assert len(decoded) < 2000  # far fewer than the ~2,800 frames up to the last sample


def test_float_tiff_with_nan_and_inf_pixels_is_not_blanked():
    ramp = np.tile(np.linspace(0, 1, 32, dtype=np.float32), (16, 1))
    ramp[0, 0], ramp[0, 1], ramp[0, 2] = np.nan, np.inf, -np.inf
    rgb = load_image(_save(Image.fromarray(ramp, mode="F"), "TIFF"))
    assert rgb[8, 31].tolist() == [255, 255, 255] and rgb[8, 0].tolist() == [0, 0, 0]  # the ramp survives
    assert len(np.unique(rgb[8, :, 0])) > 20
    nothing = np.full((8, 8), np.nan, np.float32)
    with pytest.raises(MediaError, match="no usable pixel values"):
        load_image(_save(Image.fromarray(nothing, mode="F"), "TIFF"))


def test_mutated_exif_jpeg_gives_a_media_error_not_a_traceback():
    """The JPEGs whose broken EXIF made exif_transpose raise struct.error/TypeError out of load_image."""
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate
    exif[0x010F] = "Camera"
    good = _save(Image.fromarray(_grace()), "JPEG", exif=exif.tobytes())
    at = good.find(b"Exif\x00\x00") + 6
    rng = np.random.default_rng(21)
    upright = 0
    for _ in range(300):  # any exception other than MediaError propagates and fails the test
        bad = bytearray(good)
        for pos in rng.integers(at, at + 60, size=3):
            bad[pos] = int(rng.integers(0, 256))
        try:
            upright += load_image(bytes(bad)).shape[:2] == _grace().shape[1::-1]
        except MediaError as err:
            _assert_clear(str(err), "image")
    assert upright > 0  # the orientation tag survived some mutations and was applied


def test_a_large_jpeg_is_decoded_in_draft_mode_at_the_working_size(monkeypatch):
    from PIL import JpegImagePlugin

    calls = []
    real = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        calls.append(size)
        return real(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    big = _save(Image.fromarray(np.asarray(Image.fromarray(_grace()).resize((3200, 2400)))), "JPEG", quality=80)
    rgb = load_image(big, max_side=800)
    assert max(rgb.shape[:2]) == 800 and calls  # decoded at 1/2…1/8 size by the JPEG decoder, then resized
    assert load_image(big).shape[:2] == (2400, 3200)  # without max_side nothing changes


def test_an_upload_is_decoded_once_per_session_at_the_working_size(monkeypatch):
    """Every rerun decoded the upload again: 20 sessions with 40 MP photos took the server to 7 GB."""
    import ui.inputs

    monkeypatch.setenv("LAB_WORK_SIDE", "640")
    loads = []
    real = ui.inputs.load_image
    monkeypatch.setattr(ui.inputs, "load_image", lambda data, **kw: loads.append(kw) or real(data, **kw))

    def script():
        import streamlit as st

        from ui.inputs import image_input

        picked = image_input("t", camera=False)
        if picked is not None:
            st.write(f"shape {picked[0].shape}")
        st.button("again", key="again")

    at = AppTest.from_function(script, default_timeout=60).run()
    at.radio(key="t_source").set_value("Upload a photo").run()
    big = _save(Image.fromarray(np.asarray(Image.fromarray(_grace()).resize((2000, 1500)))), "JPEG")
    at.file_uploader(key="t_upload").upload("big.jpg", big, "image/jpeg").run()
    for _ in range(3):
        at.button(key="again").click().run()
    assert not at.exception
    assert "shape (480, 640, 3)" in "\n".join(str(m.value) for m in at.markdown)
    assert len(loads) == 1 and loads[0] == {"max_side": 640}
