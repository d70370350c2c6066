"""Image loading and the preparation that OCR needs, with boxes mapped back.

The pipeline: decode within the pixel limit, apply the EXIF orientation,
scale to a size OCR reads well, turn the text upright (quarter turns), level
a small tilt, run the engine, then map every box back to the pixels of the
upload as displayed. Each geometric step is an `Affine` map, so mapping back
is one inverse.
"""

from __future__ import annotations

import io
import logging
import math
import warnings
from dataclasses import dataclass

from PIL import Image, ImageFilter, ImageOps, ImageStat

from detectors.documents.errors import NotInspected
from detectors.documents.limits import DEFAULT_LIMITS, Deadline, Limits
from detectors.documents.model import Box
from detectors.documents.ocr import OcrEngine, OcrWord, TesseractEngine, score_words

logger = logging.getLogger(__name__)

# Pillow refuses to decode more than twice this many pixels with
# DecompressionBombError; `Limits.max_pixels` is checked before that.
Image.MAX_IMAGE_PIXELS = DEFAULT_LIMITS.max_pixels

# Formats accepted from uploads. HEIC/HEIF is read only when a Pillow plugin
# (pillow-heif) has registered it; Pillow itself does not read it.
_FORMATS = ("JPEG", "MPO", "PNG", "WEBP")
_OPTIONAL_FORMATS = ("HEIF",)

# OCR reads text best when characters are roughly 20 to 40 pixels tall. A
# card photo fills the frame, so its long side is what sets the text size.
OCR_MIN_SIDE = 1000
OCR_MAX_SIDE = 2200
MAX_UPSCALE = 3.0
# Tilts the deskew step searches for, in degrees either way.
MAX_SKEW = 10.0
# Tesseract's orientation confidence from which its result is used without a check.
OSD_MIN_CONFIDENCE = 1.0


def accepted_formats() -> tuple[str, ...]:
    """Return the Pillow format names that uploads may have."""
    Image.init()
    return tuple(f for f in _FORMATS + _OPTIONAL_FORMATS if f in Image.OPEN)


def load_image(data: bytes, limits: Limits) -> Image.Image:
    """Decode an upload as displayed: EXIF orientation applied, RGB or L mode.

    Raises `NotInspected` for an unknown or unsupported format, a file or
    image over the limits, or a corrupt or truncated file.
    """
    limits.check_size(len(data))
    image: Image.Image
    try:
        with warnings.catch_warnings():
            # The pixel count is checked against `limits` below instead.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=accepted_formats())
            limits.check_pixels(*image.size)
            image.load()
    except Image.DecompressionBombError as error:
        raise NotInspected(
            f"too many pixels: the image is larger than Pillow's limit of "
            f"{2 * (Image.MAX_IMAGE_PIXELS or 0)} pixels"
        ) from error
    except Image.UnidentifiedImageError as error:
        raise NotInspected(
            "unreadable image: not a JPEG, PNG or WebP file "
            f"(accepted: {', '.join(accepted_formats())})"
        ) from error
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise NotInspected(f"unreadable image: {_decode_error(error)}") from error
    image = ImageOps.exif_transpose(image) or image
    if image.mode not in ("RGB", "L"):
        image = _flatten(image)
    return image


def _decode_error(error: Exception) -> str:
    text = str(error)
    if "truncated" in text:
        return "the file is truncated"
    return f"the decoder failed ({type(error).__name__})"


def _flatten(image: Image.Image) -> Image.Image:
    """Convert to RGB, putting transparent pixels on white as viewers show them."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


@dataclass(frozen=True)
class Affine:
    """A 2-D affine map: x' = a*x + b*y + c, y' = d*x + e*y + f."""

    a: float = 1.0
    b: float = 0.0
    c: float = 0.0
    d: float = 0.0
    e: float = 1.0
    f: float = 0.0

    def point(self, x: float, y: float) -> tuple[float, float]:
        return self.a * x + self.b * y + self.c, self.d * x + self.e * y + self.f

    def then(self, other: Affine) -> Affine:
        """Return the map that applies this one, then `other`."""
        return Affine(
            other.a * self.a + other.b * self.d,
            other.a * self.b + other.b * self.e,
            other.a * self.c + other.b * self.f + other.c,
            other.d * self.a + other.e * self.d,
            other.d * self.b + other.e * self.e,
            other.d * self.c + other.e * self.f + other.f,
        )

    def inverse(self) -> Affine:
        det = self.a * self.e - self.b * self.d
        a, b, d, e = self.e / det, -self.b / det, -self.d / det, self.a / det
        return Affine(
            a, b, -(a * self.c + b * self.f), d, e, -(d * self.c + e * self.f)
        )

    def box(self, box: Box) -> Box:
        """Return the bounding box of the image of `box`'s four corners."""
        x0, y0, x1, y1 = box
        corners = [self.point(x, y) for x in (x0, x1) for y in (y0, y1)]
        xs = [p[0] for p in corners]
        ys = [p[1] for p in corners]
        return (min(xs), min(ys), max(xs), max(ys))


def quarter_map(size: tuple[int, int], clockwise: int) -> Affine:
    """Return the map of points for turning an image of `size` clockwise."""
    width, height = size
    clockwise %= 360
    if clockwise == 90:
        return Affine(0, -1, height, 1, 0, 0)
    if clockwise == 180:
        return Affine(-1, 0, width, 0, -1, height)
    if clockwise == 270:
        return Affine(0, 1, 0, -1, 0, width)
    return Affine()


_TRANSPOSE = {
    90: Image.Transpose.ROTATE_270,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


def quarter_turn(image: Image.Image, clockwise: int) -> tuple[Image.Image, Affine]:
    """Rotate by 0, 90, 180 or 270 degrees clockwise; return the map of points."""
    clockwise %= 360
    mapping = quarter_map(image.size, clockwise)
    if clockwise == 0:
        return image, mapping
    return image.transpose(_TRANSPOSE[clockwise]), mapping


def tilt(image: Image.Image, degrees: float) -> tuple[Image.Image, Affine]:
    """Rotate counter-clockwise by `degrees`, growing the canvas to keep corners.

    Returns the rotated image and the map from old to new pixels. The new
    corners are filled with the image's median border colour.
    """
    width, height = image.size
    fill = _border_colour(image)
    rotated = image.rotate(
        degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill
    )
    radians = math.radians(degrees)
    cos, sin = math.cos(radians), math.sin(radians)
    cx, cy = width / 2, height / 2
    nx, ny = rotated.width / 2, rotated.height / 2
    # Counter-clockwise on screen is clockwise in maths terms because y
    # grows downwards: x' = cos*dx + sin*dy, y' = -sin*dx + cos*dy.
    mapping = Affine(
        cos, sin, nx - cos * cx - sin * cy, -sin, cos, ny + sin * cx - cos * cy
    )
    return rotated, mapping


def _border_colour(image: Image.Image) -> tuple[int, ...] | int:
    strip = image.crop((0, 0, image.width, max(1, image.height // 50)))
    median = ImageStat.Stat(strip).median
    return median[0] if image.mode == "L" else tuple(median)


def _edges(image: Image.Image, side: int = 600) -> Image.Image:
    """Return a small edge map of the image: text strokes bright, flat areas dark."""
    gray = image.convert("L")
    factor = side / max(gray.size)
    if factor < 1:
        gray = gray.resize(
            (max(1, round(gray.width * factor)), max(1, round(gray.height * factor))),
            Image.Resampling.BILINEAR,
        )
    edges = gray.filter(ImageFilter.FIND_EDGES)
    # The filter responds strongly along the image's own border, which would
    # look like two long level lines; cut it off.
    edges = edges.crop((2, 2, max(3, edges.width - 2), max(3, edges.height - 2)))
    return edges.point(lambda v: 255 if v > 40 else 0)


def _profile_score(edges: Image.Image, degrees: float) -> float:
    """Return how sharply text rows stand out after rotating by `degrees`.

    Rows of text alternate with blank rows when the text is level, so the
    variance of the per-row ink sums peaks at the right angle.
    """
    # Without expand the width stays the same, so row sums compare across angles.
    rotated = edges.rotate(degrees, resample=Image.Resampling.NEAREST)
    rows = rotated.resize((1, rotated.height), Image.Resampling.BOX)
    return float(ImageStat.Stat(rows).var[0])


def estimate_skew(image: Image.Image, limit: float = MAX_SKEW) -> float:
    """Return the counter-clockwise rotation, in degrees, that levels the text.

    A projection-profile search: whole degrees first, then quarter degrees
    around the best. Returns 0 unless the best angle lies inside the range
    and beats level by a clear margin, because a photo or a pattern also
    changes the profile a little.
    """
    edges = _edges(image)
    level = _profile_score(edges, 0.0)
    if level <= 0:
        return 0.0
    best_angle, best = 0.0, level
    for step in range(-int(limit), int(limit) + 1):
        score = _profile_score(edges, float(step))
        if score > best:
            best_angle, best = float(step), score
    if abs(best_angle) >= int(limit):
        # The profile still rises at the edge of the range: no peak inside
        # it, which a photo without text lines also gives.
        return 0.0
    for offset in (-0.75, -0.5, -0.25, 0.25, 0.5, 0.75):
        angle = best_angle + offset
        score = _profile_score(edges, angle)
        if score > best:
            best_angle, best = angle, score
    if abs(best_angle) < 0.5 or best < level * 1.15:
        return 0.0
    return best_angle


def text_axis_is_vertical(image: Image.Image) -> bool:
    """Tell whether the text lines run up and down (a quarter-turned photo)."""
    edges = _edges(image, side=400)
    return _profile_score(edges, 90.0) > 1.3 * _profile_score(edges, 0.0)


def ocr_scale(size: tuple[int, int]) -> float:
    """Return the factor that brings an image's long side into OCR's range."""
    long_side = max(size)
    if long_side < OCR_MIN_SIDE:
        return min(MAX_UPSCALE, OCR_MIN_SIDE / long_side)
    if long_side > OCR_MAX_SIDE:
        return OCR_MAX_SIDE / long_side
    return 1.0


@dataclass
class OcrResult:
    """Words as the engine read them, and the map back to the source image.

    `words` are in the pixels of the prepared (scaled, upright, levelled)
    image, where lines run left to right, so lines are built there;
    `to_source` maps those pixels to the image given to `recognize_image`.
    `rotation` is the clockwise quarter turn that made the text upright and
    `skew` the counter-clockwise tilt, in degrees, that levelled it.
    """

    words: list[OcrWord]
    to_source: Affine
    rotation: int = 0
    skew: float = 0.0


def recognize_image(
    image: Image.Image, engine: OcrEngine, deadline: Deadline
) -> OcrResult:
    """Prepare an image for OCR, run the engine, and return words and the map back."""
    factor = ocr_scale(image.size)
    work = image
    forward = Affine()
    if factor != 1.0:
        size = (
            max(1, round(image.width * factor)),
            max(1, round(image.height * factor)),
        )
        work = image.resize(size, Image.Resampling.LANCZOS)
        forward = Affine(a=size[0] / image.width, e=size[1] / image.height)
    deadline.check()

    if engine.handles_rotation:
        found = engine.recognize(work, deadline.timeout_for_call())
        rotation = reading_rotation(found)
        turn = quarter_map(work.size, rotation)
        upright = [_move(word, turn) for word in found]
        return OcrResult(upright, forward.then(turn).inverse(), rotation)

    words: list[OcrWord] | None
    rotation, words = _upright(work, engine, deadline)
    turned, turn_map = quarter_turn(work, rotation)
    forward = forward.then(turn_map)
    skew = estimate_skew(turned)
    if skew:
        turned, tilt_map = tilt(turned, skew)
        forward = forward.then(tilt_map)
        words = None
    if words is None:
        words = engine.recognize(turned, deadline.timeout_for_call())
    deadline.check()
    return OcrResult(words, forward.inverse(), rotation, skew)


def reading_rotation(words: list[OcrWord]) -> int:
    """Return the clockwise quarter turn that makes the engine's lines read left to right.

    Each line votes with its character count for the direction from its
    first word to its last; an engine that reads rotated text by itself
    still reports boxes in the rotated image.
    """
    lines: dict[tuple[int, ...], list[OcrWord]] = {}
    for word in words:
        lines.setdefault(word.line_key, []).append(word)
    votes = {0: 0, 90: 0, 180: 0, 270: 0}
    for line in lines.values():
        boxes = [b for w in line for b in (w.char_boxes or (w.box,))]
        if len(boxes) < 2:
            continue
        dx = (boxes[-1][0] + boxes[-1][2] - boxes[0][0] - boxes[0][2]) / 2
        dy = (boxes[-1][1] + boxes[-1][3] - boxes[0][1] - boxes[0][3]) / 2
        reading = round(math.degrees(math.atan2(dy, dx)) / 90) * 90
        votes[(-reading) % 360] += len(boxes)
    return max(votes, key=lambda turn: (votes[turn], turn == 0))


def _move(word: OcrWord, mapping: Affine) -> OcrWord:
    return OcrWord(
        word.text,
        mapping.box(word.box),
        word.confidence,
        word.line_key,
        tuple(mapping.box(b) for b in word.char_boxes),
    )


def _upright(
    image: Image.Image, engine: OcrEngine, deadline: Deadline
) -> tuple[int, list[OcrWord] | None]:
    """Return the clockwise quarter turn that makes the text upright.

    Tesseract's orientation detection decides when it is confident and
    agrees with the direction of the text lines. Otherwise each candidate
    turn is read and the one with the best confidence-weighted character
    count wins; its words are returned so they need not be read again.
    """
    vertical = text_axis_is_vertical(image)
    candidates = [90, 270] if vertical else [0, 180]
    if isinstance(engine, TesseractEngine):
        osd = engine.detect_orientation(image, deadline.timeout_for_call())
        if osd is not None:
            rotate, confidence = osd
            logger.debug("orientation %s, confidence %.2f", rotate, confidence)
            if rotate in candidates and confidence >= OSD_MIN_CONFIDENCE:
                return rotate, None
    return _best_turn(image, engine, deadline, candidates)


def _best_turn(
    image: Image.Image,
    engine: OcrEngine,
    deadline: Deadline,
    candidates: list[int],
) -> tuple[int, list[OcrWord] | None]:
    best: tuple[float, int, list[OcrWord] | None] = (-1.0, candidates[0], None)
    for clockwise in candidates:
        turned, _ = quarter_turn(image, clockwise)
        words = engine.recognize(turned, deadline.timeout_for_call())
        score = score_words(words)
        if score > best[0]:
            best = (score, clockwise, words)
    return best[1], best[2]
