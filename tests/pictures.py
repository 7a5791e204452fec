"""Pictures that lie about their size: a PNG whose header claims any width and height, with
only a few rows of pixel data behind it (a decompression bomb is refused from its header, so
the rest never needs to exist)."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, body: bytes) -> bytes:
    return (struct.pack(">I", len(body)) + kind + body
            + struct.pack(">I", zlib.crc32(kind + body)))


def png_claiming(width: int, height: int) -> bytes:
    """A few kB of PNG (RGB, 8 bits) whose header says `width` × `height`."""
    rows = zlib.compress(b"\x00" * (1 + width * 3) * 40, 9)
    return (b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + _chunk(b"IDAT", rows) + _chunk(b"IEND", b""))


def png_with_text(chunks: int, inflated: int = 1_000_000) -> bytes:
    """A small real PNG carrying `chunks` compressed text chunks of `inflated` bytes each:
    about 1 kB a chunk in the file, a MB each once read."""
    text = b"".join(_chunk(b"zTXt", b"note%d\x00\x00" % i + zlib.compress(b"a" * inflated, 9))
                    for i in range(chunks))
    rows = zlib.compress(b"\x00" * (1 + 20 * 3) * 20, 9)
    return (b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", struct.pack(">IIBBBBB", 20, 20, 8, 2, 0, 0, 0))
            + text + _chunk(b"IDAT", rows) + _chunk(b"IEND", b""))


# Run in a fresh interpreter by peak_memory_of_processing: the peak resident memory that
# images.process adds, in kB (Pillow allocates outside Python's heap, so tracemalloc would
# not see it; ru_maxrss does).
_MEASURE = """
import resource, sys, time
from app.catalog import images
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    images.process(data)
    outcome = "accepted"
except (images.ImageTooLarge, images.NotAnImage) as exc:
    outcome = exc.code
print(outcome, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before,
      round((time.perf_counter() - started) * 1000, 1))
"""


def peak_memory_of_processing(data: bytes, tmp_path) -> tuple[str, int, float]:
    """(outcome, extra peak memory in kB, milliseconds) of images.process(data), measured in
    a fresh interpreter so nothing this test process did first hides the peak."""
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "picture.bin"
    path.write_bytes(data)
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], capture_output=True,
                          text=True, cwd=root, timeout=120, check=True)
    outcome, kilobytes, ms = done.stdout.split()
    return outcome, int(kilobytes), float(ms)
