"""OCR engines behind one small interface: Tesseract always, RapidOCR optionally.

An engine takes a Pillow image and returns `OcrWord`s: text, a box in that
image's pixels, a confidence from 0 to 100, and a line key that groups the
words of one text line. `select_engine` picks the engine named by the
`REDLINE_OCR_ENGINE` environment variable ("tesseract", "rapidocr" or
"auto").
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from PIL import Image

from detectors.documents.errors import NotInspected, OcrUnavailable
from detectors.documents.model import Box, is_wide, union

# Tesseract's OpenMP threads compete when several OCR calls run at once, so
# one thread each is faster. A deployment may set another value first.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

logger = logging.getLogger(__name__)

TESSERACT_LANGUAGES = "chi_sim+eng"
TESSERACT_PACKAGES = (
    "tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng tesseract-ocr-osd"
)
ENGINE_VARIABLE = "REDLINE_OCR_ENGINE"
ENGINE_NAMES = ("tesseract", "rapidocr", "auto")
# Whether "auto" picks RapidOCR when it is installed; docs/ocr.md contains
# the measurements behind this choice.
AUTO_PREFERS_RAPIDOCR = True
# RapidOCR's detection input: its short side is scaled up to
# DETECTION_MIN_SIDE (RapidOCR's own default) as long as its long side stays
# within DETECTION_MAX_SIDE; a larger page is scaled down to that.
DETECTION_MIN_SIDE = 736
DETECTION_MAX_SIDE = 1280
# The height RapidOCR's PP-OCRv4 recognition model reads lines at.
RECOGNITION_HEIGHT = 48


@dataclass(frozen=True)
class OcrWord:
    """One recognised word in the pixels of the image given to the engine."""

    text: str
    box: Box
    confidence: float
    line_key: tuple[int, ...]
    char_boxes: tuple[Box, ...] = ()

    def __repr__(self) -> str:
        return (
            f"OcrWord(<{len(self.text)} chars>, box={self.box}, line={self.line_key})"
        )


class OcrEngine(Protocol):
    """The interface every OCR engine implements.

    `handles_rotation` is true for an engine that finds text at any quarter
    turn by itself, so the caller need not rotate the image first.
    """

    name: str
    handles_rotation: bool

    def recognize(self, image: Image.Image, timeout: float = 0) -> list[OcrWord]:
        """Return the words in `image`; `timeout` in seconds, 0 for none."""
        ...


class TesseractEngine:
    """Tesseract 4 or 5 through pytesseract, with Simplified Chinese and English.

    Needs the Debian packages tesseract-ocr, tesseract-ocr-chi-sim,
    tesseract-ocr-eng and, for orientation detection, tesseract-ocr-osd.
    """

    name = "tesseract"
    handles_rotation = False

    def __init__(
        self, languages: str = TESSERACT_LANGUAGES, psm: int = 3, options: str = ""
    ) -> None:
        self.languages = languages
        self.config = f"--psm {psm} {options}".strip()

    def recognize(self, image: Image.Image, timeout: float = 0) -> list[OcrWord]:
        import pytesseract

        try:
            data = pytesseract.image_to_data(
                tesseract_input(image),
                lang=self.languages,
                config=self.config,
                output_type=pytesseract.Output.DICT,
                timeout=_whole_seconds(timeout),
            )
        except pytesseract.TesseractNotFoundError as error:
            raise OcrUnavailable(_missing_tesseract()) from error
        except pytesseract.TesseractError as error:
            raise NotInspected(
                f"OCR failed: tesseract exited with status {error.status}"
            ) from error
        except RuntimeError as error:
            # pytesseract signals its timeout with a bare RuntimeError.
            raise NotInspected(
                f"timed out: tesseract took more than {_whole_seconds(timeout)} s"
            ) from error
        return _tesseract_words(data)

    def detect_orientation(
        self, image: Image.Image, timeout: float = 0
    ) -> tuple[int, float] | None:
        """Return (clockwise degrees that make the text upright, confidence).

        Uses Tesseract's orientation and script detection (the osd data).
        Returns None when it finds too little text to decide or fails.
        """
        import pytesseract

        try:
            osd = pytesseract.image_to_osd(
                tesseract_input(image),
                config="--psm 0 -c min_characters_to_try=10",
                output_type=pytesseract.Output.DICT,
                timeout=_whole_seconds(timeout),
            )
        except pytesseract.TesseractNotFoundError as error:
            raise OcrUnavailable(_missing_tesseract()) from error
        except pytesseract.TesseractError:
            # Raised for "too few characters"; the caller falls back.
            return None
        except RuntimeError as error:
            raise NotInspected(
                f"timed out: tesseract took more than {_whole_seconds(timeout)} s"
            ) from error
        return int(osd["rotate"]) % 360, float(osd["orientation_conf"])


def tesseract_input(image: Image.Image) -> Image.Image:
    """Return the image as pytesseract should hand it to tesseract: as BMP.

    pytesseract writes its input to a file in the image's own format, PNG
    for an image made in memory. Compressing a 1000x1000 photo to PNG took
    about 0.4 s here, as long as reading it, while an uncompressed BMP takes
    a millisecond. Colour stays: converting to grey first lost the blue
    field labels of two generated ID card photos in docs/ocr.md.
    """
    copy = image.convert("L" if image.mode in ("L", "1") else "RGB")
    copy.format = "BMP"
    return copy


def _whole_seconds(timeout: float) -> int:
    # pytesseract treats 0 as "no timeout" and a fraction as a fraction;
    # rounding up keeps a short remaining budget from becoming no limit.
    return 0 if timeout <= 0 else max(1, int(-(-timeout // 1)))


def _missing_tesseract() -> str:
    return f"OCR engine unavailable: tesseract is not installed (apt-get install {TESSERACT_PACKAGES})"


def _tesseract_words(data: dict[str, list[Any]]) -> list[OcrWord]:
    words = []
    for index, text in enumerate(data["text"]):
        confidence = float(data["conf"][index])
        text = str(text).strip()
        if confidence < 0 or not text:
            continue
        left, top = int(data["left"][index]), int(data["top"][index])
        width, height = int(data["width"][index]), int(data["height"][index])
        key = (
            int(data["page_num"][index]),
            int(data["block_num"][index]),
            int(data["par_num"][index]),
            int(data["line_num"][index]),
        )
        words.append(
            OcrWord(text, (left, top, left + width, top + height), confidence, key)
        )
    return words


class RapidOcrEngine:
    """RapidOCR (PP-OCRv4 models run by onnxruntime), from `requirements-ocr.txt`.

    The models ship inside the rapidocr-onnxruntime wheel, so nothing is
    downloaded at run time. Each recognised line becomes one line key; its
    characters are grouped into words at spaces and at every CJK character,
    and every word keeps its characters' boxes.

    RapidOCR (1.4.4) turns upside-down lines the right way up before reading
    them but places their character boxes as if it had not, mirrored; this
    class records which lines it turned and mirrors those boxes back.

    Four settings differ from RapidOCR's defaults, each measured in
    docs/ocr.md. Lines are recognised one at a time: in a batch every line
    is padded to the widest one's width, and with a page's short labels and
    long lines side by side up to 40% of the work was padding. For the same
    reason a short line is padded to a square rather than to 320 pixels
    wide. The detection input is capped (`DetectionInput`). And
    onnxruntime keeps its buffers between calls (`_memory_arena`).

    RapidOCR sets its box threshold per call, and this class the detection
    size and the record of turned lines, so calls to one engine take turns.
    Otherwise worker threads sharing it mix these up: boxes come back
    mirrored, or a number read in the second pass is lost.

    NOTE: onnxruntime has no per-call timeout, so `timeout` is not enforced
    inside one call; `extract` checks its deadline before and after.
    """

    name = "rapidocr"
    handles_rotation = True
    min_score = 0.5

    def __init__(self, threads: int = 1) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as error:
            raise OcrUnavailable(
                "OCR engine unavailable: rapidocr-onnxruntime is not installed "
                "(pip install -r requirements-ocr.txt)"
            ) from error
        with _memory_arena():
            self._engine = RapidOCR(
                intra_op_num_threads=threads,
                inter_op_num_threads=threads,
                rec_batch_num=1,
                rec_img_shape=[3, RECOGNITION_HEIGHT, RECOGNITION_HEIGHT],
            )
        self._classifier = _TurnRecorder(self._engine.text_cls)
        self._engine.text_cls = self._classifier
        # An instance attribute in place of the method that picks the
        # detection input size from the long side alone.
        detector = self._engine.text_det
        self._detection = DetectionInput(detector.mean, detector.std)
        detector.get_preprocess = self._detection.fixed
        self._lock = threading.Lock()

    def recognize(
        self, image: Image.Image, timeout: float = 0, cut_lines: bool = False
    ) -> list[OcrWord]:
        """Return the words in `image`; `timeout` is not enforced (see the class).

        With `cut_lines` the image contains lines already cut level and upright
        at the size recognition wants, as the second pass over number rows
        does: it is not scaled up for detection, and the direction
        classifier, which could only turn a line the wrong way, is skipped.
        """
        rgb = image.convert("RGB")
        with self._lock:
            self._detection.enlarge = not cut_lines
            self._classifier.turned = []
            # text_score=0 keeps every line, so lines stay aligned with the
            # classifier's results; low scores are dropped below instead.
            result, _ = self._engine(
                rgb, use_cls=not cut_lines, return_word_box=True, text_score=0.0
            )
            turned = self._classifier.turned
        words: list[OcrWord] = []
        for line_number, item in enumerate(result or []):
            quad, text, score = item[0], str(item[1]), float(item[2])
            if score < self.min_score or not text.strip():
                continue
            line_box = _quad_box(quad)
            flipped = line_number < len(turned) and turned[line_number]
            char_quads = item[3] if len(item) > 3 else []
            char_texts = item[4] if len(item) > 4 else []
            char_scores = item[5] if len(item) > 5 else []
            if len(char_quads) == len(char_texts) and "".join(char_texts) == text:
                boxes = [_quad_box(q) for q in char_quads]
                if flipped:
                    boxes = [_reflect(b, line_box) for b in boxes]
                words.extend(
                    _rapid_words(char_texts, boxes, char_scores, score, (line_number,))
                )
            else:
                words.append(
                    OcrWord(text.strip(), line_box, score * 100, (line_number,))
                )
        return words


@contextmanager
def _memory_arena() -> Iterator[None]:
    """Have the onnxruntime sessions RapidOCR creates meanwhile keep their buffers.

    RapidOCR 1.4.4 turns onnxruntime's memory arena off, so every call
    allocates and frees its buffers afresh. With the arena on, the
    benchmark in docs/ocr.md took 9% less CPU time and its peak memory rose
    from about 590 to 690 MB.
    """
    from rapidocr_onnxruntime.utils.infer_engine import OrtInferSession

    original = OrtInferSession._init_sess_opts

    def with_arena(config: dict[str, Any]) -> Any:
        options = original(config)
        options.enable_cpu_mem_arena = True
        return options

    OrtInferSession._init_sess_opts = staticmethod(with_arena)
    try:
        yield
    finally:
        OrtInferSession._init_sess_opts = staticmethod(original)


class DetectionInput:
    """Sizes RapidOCR's detection input: short side up to 736, long side at most 1280.

    RapidOCR scales a page so that its short side is at least 736 pixels and
    never scales it down, so a 2000-pixel screenshot was detected at full
    size, which took about 1.9 of its 2.6 to 3.0 s. The long side is now
    capped at `DETECTION_MAX_SIDE`, which still read every number in
    docs/ocr.md. Lines are still cut for recognition from the page at its
    own size. Without `enlarge`, the input is only ever scaled down.

    NOTE: a rendered ID card 300 pixels wide in a 4000x3000 photo is no
    longer read. Its digits are 4 pixels tall at detection. At 350 pixels
    wide it is read, and uncapped detection read both.
    """

    def __init__(self, mean: Any, std: Any) -> None:
        self.mean = mean
        self.std = std
        self.enlarge = True

    def fixed(self, _long_side: int) -> DetectionInput:
        """Replace `TextDetector.get_preprocess`, which receives the long side only."""
        return self

    def __call__(self, image: Any) -> Any:
        from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

        height, width = image.shape[:2]
        short, long = min(height, width), max(height, width)
        smallest = DETECTION_MIN_SIDE if self.enlarge else 0
        factor = min(max(1.0, smallest / short), DETECTION_MAX_SIDE / long)
        if factor > 1:
            resize = DetPreProcess(round(short * factor), "min", self.mean, self.std)
        else:
            resize = DetPreProcess(round(long * factor), "max", self.mean, self.std)
        return resize(image)


class _TurnRecorder:
    """Wraps RapidOCR's direction classifier to record which lines it turned."""

    def __init__(self, classifier: Any) -> None:
        self.classifier = classifier
        self.turned: list[bool] = []

    def __call__(self, images: Any) -> Any:
        images, results, elapsed = self.classifier(images)
        threshold = self.classifier.cls_thresh
        self.turned = [
            "180" in str(label) and float(score) > threshold for label, score in results
        ]
        return images, results, elapsed


def _reflect(box: Box, around: Box) -> Box:
    """Return `box` turned half a turn about the centre of `around`."""
    sx = around[0] + around[2]
    sy = around[1] + around[3]
    return (sx - box[2], sy - box[3], sx - box[0], sy - box[1])


def _quad_box(quad: list[list[float]]) -> Box:
    xs = [float(p[0]) for p in quad]
    ys = [float(p[1]) for p in quad]
    return (min(xs), min(ys), max(xs), max(ys))


def _rapid_words(
    chars: list[str],
    boxes: list[Box],
    scores: list[float],
    line_score: float,
    key: tuple[int, ...],
) -> list[OcrWord]:
    """Group RapidOCR's characters into words: split at spaces and around CJK."""
    words: list[OcrWord] = []
    pending: list[tuple[str, Box, float]] = []

    def flush() -> None:
        if pending:
            boxes = tuple(b for _, b, _ in pending)
            confidence = 100 * min(s for _, _, s in pending)
            text = "".join(c for c, _, _ in pending)
            words.append(OcrWord(text, union(boxes), confidence, key, boxes))
            pending.clear()

    for index, char in enumerate(chars):
        score = float(scores[index]) if index < len(scores) else line_score
        if char.isspace() or not char:
            flush()
            continue
        if is_wide(char):
            flush()
            pending.append((char, boxes[index], score))
            flush()
            continue
        pending.append((char, boxes[index], score))
    flush()
    return words


@cache
def rapidocr_installed() -> bool:
    """Tell whether the optional RapidOCR package can be imported."""
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def tesseract_installed() -> bool:
    """Tell whether the tesseract executable is on the PATH."""
    import pytesseract

    return shutil.which(pytesseract.pytesseract.tesseract_cmd) is not None


@cache
def _engine(name: str) -> OcrEngine:
    if name == "rapidocr":
        return RapidOcrEngine()
    return TesseractEngine()


def select_engine(name: str | None = None) -> OcrEngine:
    """Return the OCR engine to use: `name`, else `REDLINE_OCR_ENGINE`, else auto.

    "auto" picks RapidOCR when it is installed and `AUTO_PREFERS_RAPIDOCR`
    is set, and Tesseract otherwise. Engines are built once per process.
    Raises `OcrUnavailable` for an unknown name or when "rapidocr" is asked
    for by name and not installed.
    """
    chosen = (name or os.environ.get(ENGINE_VARIABLE) or "auto").strip().lower()
    if chosen not in ENGINE_NAMES:
        raise OcrUnavailable(
            f"unknown OCR engine {chosen!r} in {ENGINE_VARIABLE}; "
            f"expected one of {', '.join(ENGINE_NAMES)}"
        )
    if chosen == "auto":
        chosen = (
            "rapidocr"
            if AUTO_PREFERS_RAPIDOCR and rapidocr_installed()
            else "tesseract"
        )
    return _engine(chosen)
