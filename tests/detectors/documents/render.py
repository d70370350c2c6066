"""Render fake documents for the document tests and the OCR benchmark.

Every value is invented: the ID number passes the GB 11643 checksum and the
card number passes Luhn, computed with python-stdnum. The text uses the
WenQuanYi Zen Hei font from Debian's fonts-wqy-zenhei package.
"""

from __future__ import annotations

import io
import math
import random
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont
from stdnum import luhn
from stdnum.cn import ric

FONT_PACKAGE = "fonts-wqy-zenhei"
_FONT_PATHS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc"),
)

_ID_BASE = "11010519880315123"
ID_NUMBER = _ID_BASE + ric.calc_check_digit(_ID_BASE + "0")
_CARD_BASE = "622848001234567"
CARD_NUMBER = _CARD_BASE + luhn.calc_check_digit(_CARD_BASE)
CARD_GROUPED = " ".join(CARD_NUMBER[i : i + 4] for i in range(0, 16, 4))
PHONE_NUMBER = "13912345678"
PASSPORT_NUMBER = "E12345678"
NAME = "林晓雨"
ADDRESS_LINES = ("北京市朝阳区望京街道花园路", "88号3单元502室")

CARD_SIZE = (900, 568)
# Where the fake portrait sits on the ID card front, in card pixels.
PORTRAIT = (560, 95, 820, 400)


def find_font() -> Path | None:
    """Return a font file with Chinese glyphs, or None when none is installed."""
    for path in _FONT_PATHS:
        if path.exists():
            return path
    if shutil.which("fc-match"):
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", ":lang=zh"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if (
            found
            and Path(found).exists()
            and Path(found).suffix in (".ttc", ".ttf", ".otf")
        ):
            return Path(found)
    return None


def font(size: int) -> ImageFont.FreeTypeFont:
    path = find_font()
    if path is None:
        raise RuntimeError(f"no CJK font found; install {FONT_PACKAGE}")
    return ImageFont.truetype(str(path), size)


@dataclass(frozen=True)
class Rendered:
    """A rendered image and where its ID or card number was drawn."""

    image: Image.Image
    number_box: tuple[int, int, int, int]
    next_word_box: tuple[int, int, int, int] | None = None


def _background(
    size: tuple[int, int], colour: tuple[int, int, int], seed: int
) -> Image.Image:
    """A card background with a faint guilloche-like line pattern."""
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    rng = random.Random(seed)
    for _ in range(40):
        x = rng.randrange(size[0])
        shade = tuple(max(0, min(255, c + rng.randrange(-18, 18))) for c in colour)
        draw.arc((x - 300, -200, x + 300, size[1] + 200), 200, 340, fill=shade, width=1)
    return image


def _text(
    draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, size: int, fill: object
) -> tuple[int, int, int, int]:
    box = draw.textbbox(xy, text, font=font(size))
    draw.text(xy, text, font=font(size), fill=fill)
    return (int(box[0]), int(box[1]), int(box[2]), int(box[3]))


def id_card_front(number: str = ID_NUMBER) -> Rendered:
    """A resident ID card front: fields on the left, portrait on the right."""
    image = _background(CARD_SIZE, (236, 242, 246), seed=1)
    draw = ImageDraw.Draw(image)
    label = (40, 90, 150)
    ink = (20, 20, 20)
    _text(draw, (60, 70), "姓 名", 28, label)
    _text(draw, (160, 66), NAME, 34, ink)
    _text(draw, (60, 140), "性 别", 28, label)
    _text(draw, (160, 138), "女", 30, ink)
    _text(draw, (260, 140), "民 族", 28, label)
    _text(draw, (360, 138), "汉", 30, ink)
    _text(draw, (60, 210), "出 生", 28, label)
    _text(draw, (160, 208), "1988 年 3 月 15 日", 30, ink)
    _text(draw, (60, 280), "住 址", 28, label)
    _text(draw, (160, 278), ADDRESS_LINES[0], 30, ink)
    _text(draw, (160, 326), ADDRESS_LINES[1], 30, ink)
    # The portrait: a grey panel with a head and shoulders.
    x0, y0, x1, y1 = PORTRAIT
    draw.rectangle(PORTRAIT, fill=(180, 190, 200))
    draw.ellipse((x0 + 80, y0 + 50, x1 - 80, y0 + 170), fill=(120, 95, 80))
    draw.pieslice((x0 + 20, y0 + 180, x1 - 20, y1 + 120), 180, 360, fill=(40, 50, 70))
    _text(draw, (60, 460), "公民身份号码", 28, label)
    number_box = _text(draw, (300, 455), number, 38, ink)
    return Rendered(image, number_box)


def id_card_back() -> Rendered:
    image = _background(CARD_SIZE, (240, 240, 236), seed=2)
    draw = ImageDraw.Draw(image)
    ink = (20, 20, 20)
    _text(draw, (260, 90), "中华人民共和国", 52, ink)
    _text(draw, (300, 180), "居民身份证", 56, ink)
    _text(draw, (120, 380), "签发机关", 28, ink)
    _text(draw, (280, 378), "北京市公安局朝阳分局", 30, ink)
    _text(draw, (120, 440), "有效期限", 28, ink)
    box = _text(draw, (280, 438), "2016.05.10-2036.05.10", 30, ink)
    return Rendered(image, box)


def bank_card(embossed: bool = False) -> Rendered:
    """A bank card; `embossed` draws light digits with a shadow on a dark card."""
    colour = (150, 120, 50) if embossed else (230, 236, 244)
    image = _background(CARD_SIZE, colour, seed=3)
    draw = ImageDraw.Draw(image)
    ink = (250, 244, 220) if embossed else (20, 30, 60)
    _text(draw, (50, 40), "中国农业银行", 44, ink)
    _text(draw, (50, 100), "AGRICULTURAL BANK OF CHINA", 24, ink)
    _text(draw, (50, 150), "借记卡", 30, ink)
    boxes = []
    x = 60
    for word in CARD_GROUPED.split():
        if embossed:
            # Raised digits: a dark shadow below right, a light face on top.
            _text(draw, (x + 3, 283), word, 54, (60, 45, 15))
        boxes.append(_text(draw, (x, 280), word, 54, ink))
        x = boxes[-1][2] + 30
    number_box = (
        boxes[0][0],
        min(b[1] for b in boxes),
        boxes[-1][2],
        max(b[3] for b in boxes),
    )
    _text(draw, (300, 380), "VALID THRU", 18, ink)
    _text(draw, (420, 372), "08/29", 32, ink)
    holder = _text(draw, (60, 450), "LIN XIAOYU", 34, ink)
    _text(draw, (680, 440), "UnionPay", 34, ink)
    _text(draw, (700, 485), "银联", 34, ink)
    return Rendered(image, number_box, holder)


def passport_page() -> Rendered:
    image = _background((1000, 700), (232, 228, 214), seed=4)
    draw = ImageDraw.Draw(image)
    ink = (30, 30, 30)
    _text(draw, (60, 40), "中华人民共和国", 40, ink)
    _text(draw, (60, 95), "PEOPLE'S REPUBLIC OF CHINA", 22, ink)
    _text(draw, (60, 140), "护照 PASSPORT", 34, ink)
    _text(draw, (460, 150), "护照号 / Passport No.", 22, ink)
    number = _text(draw, (460, 180), PASSPORT_NUMBER, 34, ink)
    _text(draw, (460, 240), "姓名 / Name", 22, ink)
    _text(draw, (460, 268), "林晓雨 LIN, XIAOYU", 30, ink)
    _text(draw, (460, 320), "出生日期 / Date of birth", 22, ink)
    _text(draw, (460, 348), "15 MAR 1988", 30, ink)
    mrz = font(30)
    draw.text(
        (40, 560), "P<CHNLIN<<XIAOYU<<<<<<<<<<<<<<<<<<<<<<<<<<<<", font=mrz, fill=ink
    )
    draw.text(
        (40, 610), "E123456784CHN8803152F3105103<<<<<<<<<<<<<<02", font=mrz, fill=ink
    )
    return Rendered(image, number)


def text_image(lines: list[str], size: int = 30, width: int = 1100) -> Image.Image:
    """A white page with one line of text per entry."""
    image = Image.new("RGB", (width, 60 + len(lines) * int(size * 1.8)), "white")
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text(
            (40, 30 + index * int(size * 1.8)), line, font=font(size), fill="black"
        )
    return image


def degrade(image: Image.Image, seed: int = 7) -> Image.Image:
    """Add noise, blur and heavy JPEG compression, as a phone photo of a card has."""
    rng = random.Random(seed)
    noisy = image.copy()
    pixels = noisy.load()
    assert pixels is not None
    for _ in range(noisy.width * noisy.height // 25):
        x, y = rng.randrange(noisy.width), rng.randrange(noisy.height)
        value = rng.randrange(256)
        pixels[x, y] = (value, value, value)
    blurred = noisy.filter(ImageFilter.GaussianBlur(1.2))
    return Image.open(io.BytesIO(encode(blurred, "JPEG", quality=35)))


def encode(image: Image.Image, format: str = "PNG", **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=format, **options)
    return out.getvalue()


def with_orientation(image: Image.Image, orientation: int) -> bytes:
    """Store the image so that a viewer applying EXIF `orientation` shows `image`.

    Orientation 6 means "rotate 90 degrees clockwise to display", so the
    stored pixels are the displayed picture turned 90 degrees anticlockwise.
    """
    stored = {
        3: image.transpose(Image.Transpose.ROTATE_180),
        6: image.transpose(Image.Transpose.ROTATE_90),
        8: image.transpose(Image.Transpose.ROTATE_270),
    }[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(stored, "JPEG", quality=92, exif=exif.tobytes())


def watermarked(card: Rendered, opacity: int = 170) -> Rendered:
    """The card under a grid of semi-transparent white marks, as stock photos carry.

    One mark sits over the right half of the number, so its digits show
    through faded, the way a photo agency's name crosses the number on a
    sample ID card photo.
    """
    base = card.image.convert("RGBA")
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    mark = font(64)
    word = "photostock"
    left, top, _, bottom = draw.textbbox((0, 0), word, font=mark)
    x0, y0, x1, y1 = card.number_box
    # Centre one mark's letters on the number's digits, from its middle on.
    anchors = [((x0 + x1) // 2 - left, (y0 + y1) // 2 - (top + bottom) // 2)]
    anchors += [(x, y) for x in (60, 420) for y in (40, 250)]
    for x, y in anchors:
        draw.text(
            (x, y),
            word,
            font=mark,
            fill=(255, 255, 255, opacity),
            stroke_width=2,
            stroke_fill=(120, 120, 120, opacity // 3),
        )
    marked = Image.alpha_composite(base, layer).convert("RGB")
    return Rendered(marked, card.number_box, card.next_word_box)


def _solve(matrix: list[list[float]], values: list[float]) -> list[float]:
    """Solve a small linear system by Gaussian elimination with partial pivoting."""
    size = len(values)
    rows = [row[:] + [value] for row, value in zip(matrix, values, strict=True)]
    for column in range(size):
        pivot = max(range(column, size), key=lambda r: abs(rows[r][column]))
        rows[column], rows[pivot] = rows[pivot], rows[column]
        for row in range(size):
            if row != column:
                factor = rows[row][column] / rows[column][column]
                rows[row] = [
                    a - factor * b for a, b in zip(rows[row], rows[column], strict=True)
                ]
    return [rows[i][size] / rows[i][i] for i in range(size)]


Point = tuple[float, float]
Box4 = tuple[int, int, int, int]


def _homography(source: list[Point], target: list[Point]) -> list[float]:
    """Return the 8 coefficients that map each `source` point to its `target` point.

    The map is (x, y) -> ((a x + b y + c) / (g x + h y + 1),
    (d x + e y + f) / (g x + h y + 1)), the form Pillow's PERSPECTIVE
    transform takes (it maps output pixels to input pixels).
    """
    matrix: list[list[float]] = []
    values: list[float] = []
    for (x, y), (u, v) in zip(source, target, strict=True):
        matrix.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        matrix.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        values.extend((u, v))
    return _solve(matrix, values)


def _apply(coefficients: list[float], x: float, y: float) -> Point:
    a, b, c, d, e, f, g, h = coefficients
    scale = g * x + h * y + 1
    return (a * x + b * y + c) / scale, (d * x + e * y + f) / scale


def _map_box(coefficients: list[float], box: Box4) -> Box4:
    points = [_apply(coefficients, x, y) for x in box[0::2] for y in box[1::2]]
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (int(min(xs)), int(min(ys)), int(max(xs) + 1), int(max(ys) + 1))


def in_perspective(card: Rendered | None = None) -> Rendered:
    """A bank card photographed at an angle: its right edge nearer the camera.

    The card's corners land on a trapezium tilted by about 8 degrees, on a
    grey-brown background, in a 1000x700 frame. The number's box is the
    bounding box of its mapped corners.
    """
    card = card or bank_card()
    width, height = card.image.size
    frame = (1000, 700)
    corners = [(0.0, 0.0), (width, 0.0), (width, height), (0.0, height)]
    placed = [(150.0, 190.0), (900.0, 60.0), (940.0, 600.0), (170.0, 560.0)]
    backward = _homography(placed, corners)
    forward = _homography(corners, placed)
    background = Image.new("RGB", frame, (120, 105, 95))
    mask = Image.new("L", card.image.size, 255).transform(
        frame, Image.Transform.PERSPECTIVE, backward, Image.Resampling.BILINEAR
    )
    shown = card.image.transform(
        frame, Image.Transform.PERSPECTIVE, backward, Image.Resampling.BICUBIC
    )
    background.paste(shown, mask=mask)
    next_box = card.next_word_box and _map_box(forward, card.next_word_box)
    return Rendered(background, _map_box(forward, card.number_box), next_box)


def turned(degrees: float, card: Rendered | None = None) -> Rendered:
    """A bank card turned anticlockwise by `degrees` on a light table.

    Fanned-out cards in a photo sit at such angles, between the quarter
    turns that orientation detection handles.
    """
    card = card or bank_card()
    width, height = card.image.size
    turned_image = card.image.rotate(
        degrees,
        resample=Image.Resampling.BICUBIC,
        expand=True,
        fillcolor=(225, 225, 220),
    )
    # Where rotate(expand=True) puts a point: about the centre, then shifted
    # so the whole turned card fits; y grows downwards.
    radians = math.radians(degrees)
    cos, sin = math.cos(radians), math.sin(radians)

    def move(box: Box4) -> Box4:
        points = []
        for x in box[0::2]:
            for y in box[1::2]:
                dx, dy = x - width / 2, y - height / 2
                points.append(
                    (
                        cos * dx + sin * dy + turned_image.width / 2,
                        -sin * dx + cos * dy + turned_image.height / 2,
                    )
                )
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        return (int(min(xs)), int(min(ys)), int(max(xs) + 1), int(max(ys) + 1))

    next_box = card.next_word_box and move(card.next_word_box)
    return Rendered(turned_image, move(card.number_box), next_box)
