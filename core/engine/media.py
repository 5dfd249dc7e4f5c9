"""Loading and validating what people upload: images and videos, in memory.

Every refusal raises :class:`MediaError`, whose message is written for a student ("what happened, what to
do"), so pages can show it as it is. Nothing here writes uploads to disk: PyAV and Pillow read from memory.
"""

from __future__ import annotations

import io
import threading
import warnings
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from core.config import Limits, lab_workers

Source = Union[bytes, bytearray, memoryview, str, Path]

IMAGE_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WebP", "BMP": "BMP", "GIF": "GIF", "TIFF": "TIFF"}
IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "webp", "bmp", "gif", "tif", "tiff")
VIDEO_EXTENSIONS = ("mp4", "mov", "webm", "avi", "mkv", "m4v")
# Transparent pixels are laid on mid-grey, for every image the lab reads (all go through load_image). White
# (what most viewers show) puts a bright halo around a cut-out face's soft edge, which a blending detector
# reads as a seam; and a photo made evenly see-through (one alpha value everywhere) cuts out nothing, so its
# colour channels are read as stored: faded onto any background, the same photo scored 0.04 instead of 0.93.
TRANSPARENT_BACKGROUND = (128, 128, 128)


from core.errors import MediaError  # noqa: E402,F401  (defined with the lab's other errors; raised here)


# Decoding a 40-megapixel photo takes about 340 MB for a moment; 30 students uploading at once must not
# take 30 times that. As many decodes run at once as the job pool has workers (core.engine.jobs); the rest wait.
_DECODE_SLOTS: threading.BoundedSemaphore | None = None
_DECODE_SLOTS_LOCK = threading.Lock()


def _decode_slots() -> threading.BoundedSemaphore:
    global _DECODE_SLOTS
    with _DECODE_SLOTS_LOCK:
        if _DECODE_SLOTS is None:
            _DECODE_SLOTS = threading.BoundedSemaphore(lab_workers())
        return _DECODE_SLOTS


def _read_bytes(source: Source) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    path = Path(source)
    if not path.is_file():
        raise MediaError(f"We could not find the file {path.name!r}. Check the name and try again.")
    return path.read_bytes()


_NOT_AN_IMAGE = ("This file is not an image we can read: it may be damaged, or another kind of file with an image's "
                 "name. Use a JPEG, PNG, WebP, BMP, GIF or TIFF photo.")
_DAMAGED = ("This file is not an image we can read: it looks damaged or cut short (perhaps the upload did not "
            "finish). Try saving or exporting the photo again.")


def load_image(source: Source, *, limits: Limits | None = None, max_side: int | None = None) -> np.ndarray:
    """Decode an image into an RGB array of shape (H, W, 3), dtype uint8, upright as its EXIF says.

    Accepts JPEG, PNG, WebP, BMP, and the first frame of GIF and TIFF. Grayscale, CMYK, 16-bit, float and
    transparent images are converted (transparency is flattened on white). ``max_side``: shrink so the
    longer side is at most this, already while decoding where the format allows (JPEG draft mode decodes
    at 1/2, 1/4 or 1/8 size), so a 40-megapixel photo never costs its full size in memory for long.

    Every failure — a damaged file, a lying header, a decoder's own exception of any type — raises
    :class:`MediaError`; no other exception escapes (tests/test_bad_inputs.py fuzzes this).
    """
    limits = limits or Limits.from_env()
    data = _read_bytes(source)
    if not data:
        raise MediaError("This file is empty (0 bytes). Please choose a photo and upload it again.")
    try:
        with warnings.catch_warnings():
            # We check the size ourselves below, before decoding, with a clearer message than Pillow's.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            fmt, (width, height) = image.format, image.size
    except Image.DecompressionBombError as exc:
        raise MediaError(
            "This image is too large to analyse (its header claims hundreds of megapixels). "
            "Resize it and try again."
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise MediaError(_NOT_AN_IMAGE) from exc
    except Exception as exc:  # noqa: BLE001 - Pillow's plugins raise struct.error, TypeError… on crafted headers
        raise MediaError(_NOT_AN_IMAGE) from exc
    if fmt not in IMAGE_FORMATS:
        raise MediaError(
            f"This file is not an image we can read: {fmt or 'unknown'} files are not supported. "
            "Use a JPEG, PNG, WebP, BMP, GIF or TIFF photo."
        )
    if width < 1 or height < 1:
        raise MediaError("This image has no pixels. Please choose another photo.")
    if width * height > limits.max_pixels:
        raise MediaError(
            f"This image is too large to analyse ({width}×{height} pixels, the limit is "
            f"{limits.max_pixels / 1e6:.0f} megapixels). Resize it and try again."
        )
    try:
        with _decode_slots(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "Corrupt EXIF data", "Truncated File Read": handled below
            image.seek(0)  # first frame of animated GIF / multi-page TIFF
            if max_side and max(width, height) > max_side and fmt in ("JPEG", "MPO"):
                s = max_side / max(width, height)
                image.draft(image.mode if image.mode in ("RGB", "L") else None,
                            (max(1, int(width * s)), max(1, int(height * s))))
            image.load()
            if image.size != (width, height) and max(image.size) > max(width, height):
                raise MediaError(_DAMAGED)  # a frame larger than the header said: never trust it
            if max_side and max(image.size) > max_side:
                image = _shrink(image, max_side)
            image = ImageOps.exif_transpose(image)
            rgb = _to_rgb(image)
    except MediaError:
        raise
    except MemoryError as exc:
        raise MediaError("This image is too large to decode on this computer. Resize it and try again.") from exc
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a damaged file to the student
        raise MediaError(_DAMAGED) from exc
    return rgb


def _shrink(image: Image.Image, max_side: int) -> Image.Image:
    """``image`` resized (area-averaging, after integer reduction) so its longer side is ``max_side``."""
    if image.mode.startswith("I;16"):
        image = image.convert("I")
    elif image.mode not in ("RGB", "RGBA", "L", "LA", "I", "F", "CMYK"):
        image = image.convert("RGBA" if "A" in image.mode or "transparency" in image.info else "RGB")
    w, h = image.size
    s = max_side / max(w, h)
    return image.resize((max(1, round(w * s)), max(1, round(h * s))), Image.Resampling.BOX, reducing_gap=2.0)


def _to_rgb(image: Image.Image) -> np.ndarray:
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        # 16-bit, 32-bit and float grayscale: stretch to 8 bits instead of clipping to white. NaN and ±Inf
        # pixels (float TIFFs) are ignored for the range and drawn black; an image with no finite pixel is
        # refused rather than shown blank.
        arr = np.asarray(image, dtype=np.float64)
        finite = np.isfinite(arr)
        if not finite.any():
            raise MediaError("This image holds no usable pixel values (all of them are not-a-number or "
                             "infinite). Export it again as an ordinary 8- or 16-bit image.")
        lo, hi = float(arr[finite].min()), float(arr[finite].max())
        arr = np.where(finite, arr, lo)
        arr = (arr - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(arr)
        gray = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.stack([gray] * 3, axis=-1))
    if mode == "P":
        image = image.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        lo, hi = rgba.getchannel("A").getextrema()
        if lo != hi:  # an alpha with a shape (a cut-out): show it as the viewer sees it, on neutral grey
            background = Image.new("RGBA", rgba.size, TRANSPARENT_BACKGROUND + (255,))
            image = Image.alpha_composite(background, rgba)
        else:
            image = rgba
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


def encode_jpeg(rgb: np.ndarray, quality: int = 90) -> bytes:
    """Encode an RGB uint8 array as JPEG bytes."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=int(quality))
    return buf.getvalue()


def encode_png(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------- video


@dataclass(frozen=True)
class VideoInfo:
    """What a video file says about itself."""

    container: str
    codec: str
    width: int
    height: int
    fps: float
    duration_s: float
    n_frames: int  # from the container, or estimated from duration × fps


def _open_container(data: bytes):
    import av  # imported here so image-only users do not pay for it

    try:
        return av.open(io.BytesIO(data), mode="r")
    except Exception as exc:  # noqa: BLE001 - FFmpeg and PyAV raise many types on crafted containers
        raise MediaError(
            "This file is not a video we can read: it may be damaged or in a format we do not know. "
            "Use an MP4, MOV, WebM or AVI video."
        ) from exc


def _open_video(source: Source):
    """The video's container, opened from its bytes; an empty file is refused with a message for the student."""
    data = _read_bytes(source)
    if not data:
        raise MediaError("This file is empty (0 bytes). Please choose a video and upload it again.")
    return _open_container(data)


def probe_video(source: Source, *, limits: Limits | None = None) -> VideoInfo:
    """Read a video's container, codec, size, frame rate and duration, and check them against the limits."""
    limits = limits or Limits.from_env()
    container = _open_video(source)
    try:
        return _probe(container, limits)
    finally:
        container.close()


def _probe(container, limits: Limits) -> VideoInfo:
    try:
        return _probe_header(container, limits)
    except MediaError:
        raise
    except Exception as exc:  # noqa: BLE001 - odd headers make PyAV raise odd types (ZeroDivisionError…)
        raise MediaError("This video's header is damaged, so we cannot read it. Try exporting it again.") from exc


def _probe_header(container, limits: Limits) -> VideoInfo:
    if not container.streams.video:
        raise MediaError("This file has no video picture in it (perhaps it is audio only). Please choose a video.")
    stream = container.streams.video[0]
    width, height = int(stream.codec_context.width or 0), int(stream.codec_context.height or 0)
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    fps = float(rate) if rate else 0.0
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / 1_000_000
    else:
        duration = 0.0
    n_frames = int(stream.frames or 0) or int(round(duration * fps))
    if duration > 0 and fps > 0:  # a header claiming 100,000 frames in a "1 s" clip: believe the shorter story
        n_frames = min(n_frames, int(duration * fps * 1.1) + 1)
    if width * height == 0:
        raise MediaError("This video has no readable frames. It may be damaged; try exporting it again.")
    if width * height > limits.max_video_pixels:
        raise MediaError(
            f"This video's frames are too large ({width}×{height}); the lab analyses videos up to "
            f"{limits.max_video_pixels / 1e6:.1f} megapixels a frame (4K). Export a smaller version and try again."
        )
    if fps > limits.max_video_fps:
        raise MediaError(
            f"This video claims {fps:,.0f} frames a second; the lab analyses videos up to "
            f"{limits.max_video_fps:.0f} frames a second. Export it again at a normal frame rate and try again."
        )
    if duration > limits.max_video_seconds:
        raise MediaError(
            f"This video is too long ({duration / 60:.1f} minutes); the lab analyses videos up to "
            f"{limits.max_video_seconds / 60:.0f} minutes. Cut the part you want to check and try again."
        )
    return VideoInfo(
        container=container.format.name, codec=stream.codec_context.name, width=width, height=height,
        fps=fps, duration_s=duration, n_frames=n_frames,
    )


def sample_frame_indices(n_frames: int, n_samples: int) -> np.ndarray:
    """Evenly spaced frame indices (int64, sorted, unique), centred in equal segments of the video."""
    if n_frames <= 0 or n_samples <= 0:
        return np.zeros(0, dtype=np.int64)
    n = min(n_frames, n_samples)
    idx = np.floor((np.arange(n) + 0.5) * n_frames / n).astype(np.int64)
    return np.unique(np.clip(idx, 0, n_frames - 1))


def read_frames(
    source: Source, n_samples: int = 32, *, limits: Limits | None = None, max_side: int | None = None,
    on_frame: Callable[[int], None] | None = None,
) -> tuple[VideoInfo, list[int], list[np.ndarray]]:
    """Decode ``n_samples`` evenly spaced frames as RGB uint8 arrays (H, W, 3).

    Returns the video info, the frame indices actually read and the frames. Only the sampled frames are
    converted to RGB (the costly step), shrunk so that their longer side is at most ``max_side``. Where the
    next sampled frame is far ahead, the decoder seeks to the keyframe before it instead of decoding every
    frame in between. ``on_frame(count)`` is called after each sampled frame (progress reporting; an
    exception it raises, e.g. a cancellation, stops decoding and propagates).

    The header is not trusted (issue 21): each decoded frame's own size is checked against the limit and
    used for the downscale; decoding stops when the frame size changes mid-stream, after
    ``limits.max_decoded_frames`` decoded frames, or when the kept frames reach ``limits.max_decoded_bytes``.
    """
    limits = limits or Limits.from_env()
    container = _open_video(source)
    try:
        info = _probe(container, limits)
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        wanted = [int(i) for i in sample_frame_indices(max(info.n_frames, 1), n_samples)]
        indices, frames = _read_sampled(container, stream, info, wanted, limits, max_side, on_frame)
        if not frames:
            raise MediaError("We could not decode any frame of this video. It may be damaged; try exporting it again.")
        return info, indices, frames
    finally:
        container.close()


class _FrameTooLarge(MediaError):
    """A decoded frame is larger than the limit, whatever the header said."""


def _frame_index(frame, stream, fps: float, ordinal: int) -> int:
    """A decoded frame's number: from its timestamp where it has one (so seeking keeps numbers right)."""
    if frame.pts is None or stream.time_base is None or fps <= 0:
        return ordinal
    start = stream.start_time or 0
    return max(0, int(round(float((frame.pts - start) * stream.time_base) * fps)))


def _seek(container, stream, index: int, fps: float) -> bool:
    """Seek to the keyframe at or before frame ``index``; False when the file cannot seek."""
    import av

    if fps <= 0 or stream.time_base is None:
        return False
    try:
        target = int((index / fps) / stream.time_base) + (stream.start_time or 0)
        container.seek(target, stream=stream, backward=True, any_frame=False)
        return True
    except (av.error.FFmpegError, ValueError, OverflowError, OSError):
        return False


def _read_sampled(container, stream, info: VideoInfo, wanted: list[int], limits: Limits, max_side: int | None,
                  on_frame: Callable[[int], None] | None) -> tuple[list[int], list[np.ndarray]]:
    """The sampled frames and their numbers; a damaged stream after the first frame ends the list early."""
    indices: list[int] = []
    frames: list[np.ndarray] = []
    fps = info.fps
    seek_gap = max(48, int(fps * 4))  # a typical keyframe interval is 1–4 s: seeking closer saves nothing
    decoded = kept_bytes = 0
    size = None
    ordinal = -1
    decoder = None
    just_seeked, can_seek, before = False, True, -1
    for target in wanted:
        if indices and target <= indices[-1]:
            continue
        if decoder is None:
            decoder = _decode(container, stream)
        elif can_seek and target - ordinal > seek_gap and _seek(container, stream, target, fps):
            decoder = _decode(container, stream)
            before, just_seeked = ordinal, True
            ordinal = target - 1  # a guess, used only for frames without a timestamp
        try:
            for frame in decoder:
                decoded += 1
                if decoded > limits.max_decoded_frames:
                    return indices, frames  # work budget spent: keep what we have
                w, h = int(frame.width), int(frame.height)
                if size is None:
                    if w * h == 0 or w * h > limits.max_video_pixels:
                        raise _FrameTooLarge(
                            f"This video's frames are too large ({w}×{h}); the lab analyses videos up to "
                            f"{limits.max_video_pixels / 1e6:.1f} megapixels a frame (4K). Export a smaller "
                            "version and try again.")
                    size = (w, h)
                elif (w, h) != size:  # a stream that changes size mid-way: stop rather than trust it
                    return indices, frames
                # Count frames while decoding in order (right for variable frame rates too); right after
                # a seek the count restarts from the frame's timestamp.
                if just_seeked:
                    ordinal = _frame_index(frame, stream, fps, ordinal + 1)
                    if ordinal <= before:  # the keyframe lies behind us (sparse keyframes): seeking only
                        can_seek = False   # re-decodes what we passed, so decode straight on from here
                    just_seeked = False
                else:
                    ordinal += 1
                if ordinal < target:
                    continue
                kw = {}
                if max_side and max(w, h) > max_side:
                    s = max_side / max(w, h)
                    kw = {"width": max(2, int(round(w * s)) // 2 * 2), "height": max(2, int(round(h * s)) // 2 * 2)}
                try:
                    rgb = frame.to_ndarray(format="rgb24", **kw)
                except (ValueError, TypeError, MemoryError, RuntimeError) as exc:
                    raise MediaError("A frame of this video could not be converted.") from exc
                kept_bytes += rgb.nbytes
                if kept_bytes > limits.max_decoded_bytes:
                    return indices, frames
                frames.append(rgb)
                indices.append(ordinal)
                if on_frame is not None:
                    on_frame(len(frames))
                break
            else:
                return indices, frames  # the stream ended before this sample
        except _FrameTooLarge:
            raise
        except MediaError as exc:
            if not frames:
                raise MediaError("This video is damaged: we could not decode any of its frames. "
                                 "Try exporting or downloading it again.") from exc
            return indices, frames  # damaged part-way: analyse the frames we could read
    return indices, frames


def _decode(container, stream) -> Iterator:
    import av

    try:
        yield from container.decode(stream)
    except MediaError:
        raise
    except (av.error.FFmpegError, ValueError, OSError, MemoryError, RuntimeError, TypeError) as exc:
        raise MediaError("This video is damaged part-way through; we analysed the frames we could read.") from exc


def write_h264(frames: Iterable[np.ndarray], fps: float = 10.0, *, crf: int = 23) -> bytes:
    """Encode RGB uint8 frames (all the same shape) as a browser-playable H.264 MP4 (yuv420p).

    ``frames`` may be a generator, so long clips are encoded without holding every frame in memory.
    opencv cannot write H.264 and browsers do not play its mp4v, hence PyAV/libx264.
    """
    import itertools

    import av

    frames = iter(frames)
    first = next(frames, None)
    if first is None:
        raise ValueError("write_h264 needs at least one frame")
    frames = itertools.chain([first], frames)
    h, w = first.shape[:2]
    h2, w2 = h // 2 * 2, w // 2 * 2  # yuv420p needs even sizes
    buf = io.BytesIO()
    # No "+faststart": it rewrites the file by name, which an in-memory buffer has not. Browsers play
    # the clip either way because pages hand them the whole file.
    with av.open(buf, mode="w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps).limit_denominator(1000))
        stream.width, stream.height, stream.pix_fmt = w2, h2, "yuv420p"
        stream.options = {"crf": str(crf), "preset": "veryfast"}
        for rgb in frames:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[:h2, :w2]), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()
