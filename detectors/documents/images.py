"""Image loading and the preparation that OCR needs, with boxes mapped back.

The pipeline: decode within the pixel limit, apply the EXIF orientation,
scale to a size OCR reads well, turn the text level (at any angle) and
upright, run the engine, read number rows again, then map every box back
to the pixels of the upload as displayed. Each geometric step is an
`Affine` map, so mapping back is one inverse.
"""

from __future__ import annotations

import io
import logging
import math
import warnings
from dataclasses import dataclass
from functools import partial

from PIL import Image, ImageFilter, ImageOps, ImageStat

from detectors.documents.errors import NotInspected
from detectors.documents.limits import DEFAULT_LIMITS, Deadline, Limits
from detectors.documents.model import Affine, union
from detectors.documents.numbers import reread_numbers
from detectors.documents.ocr import (
    OcrEngine,
    OcrWord,
    RapidOcrEngine,
    TesseractEngine,
)

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
# Tilts the deskew step searches for, in degrees either way, and by how
# much the row profile at a larger angle must beat level to be taken.
MAX_SKEW = 10.0
TURN_MARGIN = 1.3
# Tesseract's orientation confidence from which its result is used.
OSD_MIN_CONFIDENCE = 1.0
# A reading is taken as upright when this share of its letters and digits
# is in words read with HIGH_CONFIDENCE or more. On the card photos in
# docs/ocr.md upright readings had 0.21 to 1.0, upside-down ones 0 to 0.10.
# A reading with fewer than MIN_CHARACTERS letters and digits is kept too.
HIGH_CONFIDENCE = 85.0
UPRIGHT_SHARE = 0.15
MIN_CHARACTERS = 10
# Lines that an engine reads at a slant of this many degrees or more have
# their boxes turned level before lines are rebuilt.
MIN_SLANT = 4.0


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


def estimate_angle(image: Image.Image) -> float:
    """Return the counter-clockwise rotation, in (-90, 90] degrees, that levels the text.

    A coarse search over every angle in 3-degree steps, refined to a
    quarter degree, finds text turned far: a photo in portrait of a card
    in landscape (90 degrees), or a card lying at 70 degrees among others.
    Its best angle must beat level by `TURN_MARGIN`, because a photo
    without text lines also has one; otherwise `estimate_skew` looks for
    a small tilt.

    NOTE: in a photo of several cards fanned out, the edges of the other
    cards can outweigh the text of the front one, and no angle is found. Which way up the text reads
    is left to OCR: a level line may still be upside down.
    """
    edges = _edges(image, side=400)
    # On a square canvas as wide as the diagonal, no rotation cuts text off,
    # so the scores of all angles compare.
    side = math.ceil(math.hypot(*edges.size))
    canvas = Image.new("L", (side, side), 0)
    canvas.paste(edges, ((side - edges.width) // 2, (side - edges.height) // 2))
    edges = canvas
    level = _profile_score(edges, 0.0)
    if level <= 0:
        return 0.0
    scores = {float(a): _profile_score(edges, float(a)) for a in range(-87, 91, 3)}
    best = max(scores, key=lambda angle: scores[angle])
    if scores[best] < TURN_MARGIN * level or abs(best) <= MAX_SKEW:
        return estimate_skew(image)
    for step in (1.0, 0.25):
        around = [best + step * k for k in (-2, -1, 1, 2)]
        for angle in around:
            score = _profile_score(edges, angle)
            if score > scores[best]:
                best = angle
                scores[best] = score
    if best > 90.0:
        return best - 180.0
    if best <= -90.0:
        return best + 180.0
    return best


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
    """Prepare an image for OCR, run the engine, and return words and the map back.

    For an engine that finds text at any angle by itself (RapidOCR), its
    words are turned so that lines read left to right and level, and the
    rows holding numbers it read unsurely are read again by it. For
    Tesseract the image is levelled first (`estimate_angle`), read, read
    again turned half a turn when the reading looks upside down, and then
    the rows holding numbers are read once more (`reread_numbers`).
    """
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
        # Lines the engine found at a slant stay slanted after the quarter
        # turn; turning their boxes level lets lines be rebuilt by rows.
        slant = reading_slant(upright)
        if slant:
            turn = turn.then(_rotation(slant))
            upright = [_move(word, _rotation(slant)) for word in upright]
        level_size, shift = _frame(work.size, turn)
        turn = turn.then(shift)
        upright = [_move(word, shift) for word in upright]
        if isinstance(engine, RapidOcrEngine):
            strips = partial(engine.recognize, cut_lines=True)
            upright = reread_numbers(
                image, forward.then(turn), level_size, upright, deadline, strips
            )
        deadline.check()
        return OcrResult(upright, forward.then(turn).inverse(), rotation, slant)

    angle = estimate_angle(work)
    quarter = round(angle / 90) * 90
    level, turn_map = quarter_turn(work, -quarter)
    forward = forward.then(turn_map)
    skew = angle - quarter
    if abs(skew) >= 0.5:
        level, tilt_map = tilt(level, skew)
        forward = forward.then(tilt_map)
    else:
        skew = 0.0
    if quarter and _osd_finds_upside_down(level, engine, deadline):
        level, flip_map = quarter_turn(level, 180)
        forward = forward.then(flip_map)
        quarter += 180
    words = engine.recognize(level, deadline.timeout_for_call())
    flipped = _flipped_reading(level, words, engine, deadline)
    if flipped is not None:
        level, flip_map = quarter_turn(level, 180)
        forward = forward.then(flip_map)
        quarter += 180
        words = flipped
    if isinstance(engine, TesseractEngine):
        words = reread_numbers(image, forward, level.size, words, deadline)
    deadline.check()
    return OcrResult(words, forward.inverse(), (-quarter) % 360, skew)


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


def reading_slant(words: list[OcrWord]) -> float:
    """Return the counter-clockwise turn, in degrees, that levels the lines read.

    Each line of two or more characters gives the angle from its first
    character to its last. The median, weighted by character count, is
    returned when it is at least `MIN_SLANT` degrees, and 0 otherwise. Lines are
    expected to read roughly left to right already (see `reading_rotation`).
    """
    lines: dict[tuple[int, ...], list[OcrWord]] = {}
    for word in words:
        lines.setdefault(word.line_key, []).append(word)
    angles: list[tuple[float, int]] = []
    for line in lines.values():
        boxes = [b for w in line for b in (w.char_boxes or (w.box,))]
        if len(boxes) < 2:
            continue
        dx = (boxes[-1][0] + boxes[-1][2] - boxes[0][0] - boxes[0][2]) / 2
        dy = (boxes[-1][1] + boxes[-1][3] - boxes[0][1] - boxes[0][3]) / 2
        if dx > 0:
            angles.append((math.degrees(math.atan2(dy, dx)), len(boxes)))
    if not angles:
        return 0.0
    angles.sort()
    half = sum(weight for _, weight in angles) / 2
    running = 0
    for angle, weight in angles:
        running += weight
        if running >= half:
            # y grows downwards: a line falling to the right (positive
            # angle) is levelled by turning it counter-clockwise.
            return angle if abs(angle) >= MIN_SLANT else 0.0
    return 0.0


def _frame(size: tuple[int, int], mapping: Affine) -> tuple[tuple[int, int], Affine]:
    """Return the size of the image of `size` after `mapping`, and the shift into it.

    A turn about the origin by other than a quarter turn moves corners to
    negative coordinates. The shift moves the turned image back to 0, 0.
    """
    left, top, right, bottom = mapping.box((0, 0, size[0], size[1]))
    frame = (max(1, math.ceil(right - left)), max(1, math.ceil(bottom - top)))
    return frame, Affine(c=-left, f=-top)


def _rotation(degrees: float) -> Affine:
    """Return the map that turns points counter-clockwise by `degrees` about 0, 0."""
    radians = math.radians(degrees)
    cos, sin = math.cos(radians), math.sin(radians)
    return Affine(cos, sin, 0.0, -sin, cos, 0.0)


def _move(word: OcrWord, mapping: Affine) -> OcrWord:
    """Return the word with its boxes mapped, its box made from its characters'.

    After a turn by other than a quarter turn, the bounding box of a slanted
    word's box is much larger than the word, while the union of its mapped
    character boxes is not.
    """
    chars = tuple(mapping.box(b) for b in word.char_boxes)
    box = union(chars) if chars else mapping.box(word.box)
    return OcrWord(word.text, box, word.confidence, word.line_key, chars)


def confident_share(words: list[OcrWord]) -> tuple[int, float]:
    """Return the count of letters and digits read and the share read confidently.

    Confidently means in a word of confidence `HIGH_CONFIDENCE` or more.
    On the card photos in docs/ocr.md upright text had a fifth or more of
    its characters read so, and upside-down text a tenth or less.
    """
    count = sum(sum(c.isalnum() for c in word.text) for word in words)
    if not count:
        return 0, 0.0
    confident = sum(
        sum(c.isalnum() for c in word.text)
        for word in words
        if word.confidence >= HIGH_CONFIDENCE
    )
    return count, confident / count


def _osd_finds_upside_down(
    image: Image.Image, engine: OcrEngine, deadline: Deadline
) -> bool:
    """Ask Tesseract's orientation detection whether level text is upside down.

    Used when the text ran up or down the image, where turning it level
    one way or the other is a guess. A confident result saves a reading.
    """
    if not isinstance(engine, TesseractEngine):
        return False
    osd = engine.detect_orientation(image, deadline.timeout_for_call())
    if osd is None:
        return False
    logger.debug("orientation %s, confidence %.2f", *osd)
    return osd[0] == 180 and osd[1] >= OSD_MIN_CONFIDENCE


def _flipped_reading(
    image: Image.Image, words: list[OcrWord], engine: OcrEngine, deadline: Deadline
) -> list[OcrWord] | None:
    """Return the words of the image turned half a turn when that reads better.

    A reading with `UPRIGHT_SHARE` of its characters read confidently is
    kept, and so is one with almost nothing in it. Otherwise the half-turned
    image is read as well, and the reading with more confidently read
    characters wins. Returns None when the image should stay as it is.
    """
    count, share = confident_share(words)
    if count < MIN_CHARACTERS or share >= UPRIGHT_SHARE:
        return None
    turned, _ = quarter_turn(image, 180)
    flipped = engine.recognize(turned, deadline.timeout_for_call())
    turned_count, turned_share = confident_share(flipped)
    if turned_count * turned_share > count * share:
        return flipped
    return None
