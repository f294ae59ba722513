"""Writes the PNG and JPEG images the visible-signature tests draw, and a manifest.

Usage: signature_images.py OUTDIR

Every image is 40 x 20 pixels: its left half one colour, its right half another (or
transparent). The PNGs come from the encoder below, not from a library, so that every colour
type, bit depth, Adam7 interlacing, tRNS and all five row filters are covered; the JPEGs come
from Pillow (baseline, progressive, gray, CMYK). manifest.json lists, per file, the colour
expected at the centre of each half ("background" where it is transparent).
"""
import io
import json
import os
import struct
import sys
import zlib

WIDTH, HEIGHT = 40, 20
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pack(samples, depth):
    if depth == 8:
        return bytes(samples)
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    out, acc, bits = bytearray(), 0, 0
    for s in samples:
        acc = (acc << depth) | s
        bits += depth
        if bits == 8:
            out.append(acc)
            acc, bits = 0, 0
    if bits:
        out.append(acc << (8 - bits))
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filtered(kind, row, prev, bpp):
    out = bytearray([kind])
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i] if prev else 0
        c = prev[i - bpp] if prev and i >= bpp else 0
        predicted = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out.append((x - predicted) & 0xFF)
    return bytes(out)


def png(color_type, depth, pixel, interlaced=False, palette=None, trns=None):
    channels = CHANNELS[color_type]
    bpp = max(1, channels * depth // 8)
    passes = ADAM7 if interlaced else [(0, 0, 1, 1)]
    raw = bytearray()
    row_number = 0
    for x0, y0, dx, dy in passes:
        xs = list(range(x0, WIDTH, dx))
        ys = list(range(y0, HEIGHT, dy))
        if not xs or not ys:
            continue
        prev = None
        for y in ys:
            row = pack([s for x in xs for s in pixel(x, y)], depth)
            raw += filtered(row_number % 5, row, prev, bpp)
            row_number += 1
            prev = row
    data = b"\x89PNG\r\n\x1a\n"
    data += chunk(b"IHDR", struct.pack(">IIBBBBB", WIDTH, HEIGHT, depth, color_type, 0, 0, 1 if interlaced else 0))
    data += chunk(b"tEXt", b"Comment\x00ancillary chunks are skipped")
    if palette:
        data += chunk(b"PLTE", bytes(c for rgb in palette for c in rgb))
    if trns is not None:
        data += chunk(b"tRNS", trns)
    compressed = zlib.compress(bytes(raw))
    # Image data split over two IDAT chunks.
    data += chunk(b"IDAT", compressed[:7]) + chunk(b"IDAT", compressed[7:])
    return data + chunk(b"IEND", b"")


RED, BLUE, GREEN, BLACK, WHITE = [255, 0, 0], [0, 0, 255], [0, 255, 0], [0, 0, 0], [255, 255, 255]


def halves(left, right):
    return lambda x, y: left if x < WIDTH // 2 else right


def variants():
    for depth in (1, 2, 4, 8, 16):
        top = (1 << depth) - 1
        yield f"gray{depth}", png(0, depth, halves([0], [top])), BLACK, WHITE
    yield "gray8-trns", png(0, 8, halves([0], [255]), trns=struct.pack(">H", 255)), BLACK, "background"
    yield "gray1-interlaced", png(0, 1, halves([0], [1]), interlaced=True), BLACK, WHITE
    yield "gray16-trns", png(0, 16, halves([0], [65535]), trns=struct.pack(">H", 65535)), BLACK, "background"
    for depth in (8, 16):
        top = (1 << depth) - 1
        yield f"rgb{depth}", png(2, depth, halves([top, 0, 0], [0, 0, top])), RED, BLUE
    yield "rgb8-trns", png(2, 8, halves(RED, BLUE), trns=struct.pack(">HHH", 0, 0, 255)), RED, "background"
    yield "rgb8-interlaced", png(2, 8, halves(RED, BLUE), interlaced=True), RED, BLUE
    for depth in (1, 2, 4, 8):
        yield f"palette{depth}", png(3, depth, halves([0], [1]), palette=[RED, BLUE]), RED, BLUE
    yield "palette8-trns", png(3, 8, halves([0], [1]), palette=[RED, BLUE], trns=b"\xff\x00"), RED, "background"
    yield "palette2-interlaced", png(3, 2, halves([2], [1]), interlaced=True, palette=[RED, BLUE, GREEN]), GREEN, BLUE
    for depth in (8, 16):
        top = (1 << depth) - 1
        yield f"gray-alpha{depth}", png(4, depth, halves([0, top], [0, 0])), BLACK, "background"
        yield f"rgba{depth}", png(6, depth, halves([top, 0, 0, top], [0, top, 0, 0])), RED, "background"
    yield "rgba8-interlaced", png(6, 8, halves(RED + [255], GREEN + [0]), interlaced=True), RED, "background"


def jpegs():
    from PIL import Image

    def picture(mode, left, right):
        image = Image.new(mode, (WIDTH, HEIGHT), left)
        image.paste(right, (WIDTH // 2, 0, WIDTH, HEIGHT))
        return image

    for name, image, options, left, right in [
        ("jpeg-rgb", picture("RGB", (255, 0, 0), (0, 0, 255)), {}, RED, BLUE),
        ("jpeg-progressive", picture("RGB", (255, 0, 0), (0, 0, 255)), {"progressive": True}, RED, BLUE),
        ("jpeg-gray", picture("L", 0, 255), {}, BLACK, WHITE),
        # Process colours, which poppler converts to RGB as inks look: magenta + yellow, black.
        ("jpeg-cmyk", picture("CMYK", (0, 255, 255, 0), (0, 0, 0, 255)), {}, RED, BLACK),
    ]:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=95, **options)
        yield name, buffer.getvalue(), left, right


def main():
    folder = sys.argv[1]
    os.makedirs(folder, exist_ok=True)
    manifest = []
    for name, data, left, right in list(variants()) + list(jpegs()):
        extension = "jpg" if name.startswith("jpeg") else "png"
        with open(os.path.join(folder, f"{name}.{extension}"), "wb") as f:
            f.write(data)
        manifest.append({"file": f"{name}.{extension}", "left": left, "right": right})
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
