"""images.py — PNG and JPEG files for the bad-input corpus and the fuzz seeds, written byte by byte (python3 stdlib).

PNG: every colour type and bit depth, Adam7 interlacing, extra chunks, damaged structures; a small reader
for gpustyle's own 8-bit RGB output. JPEG: markers patched in place (EXIF orientation, SOF size);
encoding itself needs Pillow (`pillow_jpeg`), which returns None where Pillow is missing.
"""
import io
import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
GRAY, RGB, PALETTE, GRAY_ALPHA, RGBA = 0, 2, 3, 4, 6
CHANNELS = {GRAY: 1, RGB: 3, PALETTE: 1, GRAY_ALPHA: 2, RGBA: 4}
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def chunk(kind, data):
    """One PNG chunk: length, type, data, CRC."""
    kind = kind.encode() if isinstance(kind, str) else kind
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def ihdr(width, height, color, depth, interlace=False):
    return chunk("IHDR", struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 1 if interlace else 0))


def pattern(width, height, color, depth):
    """Rows of per-pixel channel tuples: smooth gradients plus a checker, using the whole sample range."""
    top = (1 << depth) - 1
    rows = []
    for y in range(height):
        row = []
        for x in range(width):
            a = (x * top) // max(width - 1, 1)
            b = (y * top) // max(height - 1, 1)
            c = top if (x // 4 + y // 4) % 2 else top // 3
            if color == PALETTE:
                row.append(((x // 3 + y // 3) % (1 << min(depth, 4)),))
            else:
                row.append((a, b, c, top - a // 2)[:CHANNELS[color]] if CHANNELS[color] > 1 else ((a + b) // 2,))
        rows.append(row)
    return rows


def _pack_row(row, depth):
    if depth == 16:
        return b"".join(struct.pack(">H", s) for pixel in row for s in pixel)
    if depth == 8:
        return bytes(s for pixel in row for s in pixel)
    out, acc, bits = bytearray(), 0, 0
    for pixel in row:
        for s in pixel:
            acc = (acc << depth) | s
            bits += depth
            if bits == 8:
                out.append(acc)
                acc, bits = 0, 0
    if bits:
        out.append(acc << (8 - bits))
    return bytes(out)


def png(width, height, color=RGB, depth=8, rows=None, palette=None, trns=None, interlace=False,
        before_idat=(), level=6):
    """A complete PNG; `rows` defaults to `pattern`; `before_idat` are extra chunks placed after PLTE/tRNS."""
    rows = rows if rows is not None else pattern(width, height, color, depth)
    raw = bytearray()
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    for x0, y0, dx, dy in passes:
        if x0 >= width or y0 >= height:
            continue
        for y in range(y0, height, dy):
            raw += b"\x00" + _pack_row(rows[y][x0::dx], depth)
    out = PNG_SIGNATURE + ihdr(width, height, color, depth, interlace)
    if color == PALETTE:
        entries = palette or [(17 * i % 256, 53 * i % 256, 199 - 11 * i % 200) for i in range(1 << min(depth, 4))]
        out += chunk("PLTE", bytes(v for entry in entries for v in entry))
    if trns is not None:
        out += chunk("tRNS", trns)
    for extra in before_idat:
        out += extra
    return out + chunk("IDAT", zlib.compress(bytes(raw), level)) + chunk("IEND", b"")


def png_chunks(data):
    """[(offset, length, type)] of a PNG's chunks (no checks)."""
    found, at = [], 8
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        found.append((at, length, kind.decode("latin-1")))
        at += 12 + length
    return found


def png_with_size(data, width, height):
    """The PNG with IHDR's width and height replaced (CRC fixed)."""
    fields = bytearray(data[16:29])
    fields[0:8] = struct.pack(">II", width, height)
    return data[:8] + chunk("IHDR", bytes(fields)) + data[33:]


def read_png_rgb(data):
    """(width, height, rows of bytes) for a non-interlaced 8-bit RGB or RGBA PNG such as gpustyle writes."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    assert depth == 8 and color in (RGB, RGBA) and not interlace, "unexpected PNG layout"
    idat = b"".join(data[at + 8:at + 8 + n] for at, n, kind in png_chunks(data) if kind == "IDAT")
    raw, bpp = zlib.decompress(idat), CHANNELS[color]
    stride, rows, previous = width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line) if bpp == 3 else bytes(v for j, v in enumerate(line) if j % 4 != 3))
        previous = line
    return width, height, rows


# MARK: - JPEG

def jpeg_segments(data):
    """[(offset, marker, segment length)] up to and including the first SOS."""
    found, at = [], 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker, length = data[at + 1], struct.unpack(">H", data[at + 2:at + 4])[0]
        found.append((at, marker, length))
        if marker == 0xDA:
            break
        at += 2 + length
    return found


def jpeg_with_size(data, width, height):
    """The JPEG with the frame header's (SOFn) height and width replaced."""
    for at, marker, _ in jpeg_segments(data):
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return data[:at + 5] + struct.pack(">HH", height, width) + data[at + 9:]
    raise ValueError("no SOF marker")


def exif_tiff(orientation):
    """A little-endian TIFF structure whose IFD0 holds only the Orientation tag."""
    return b"II*\x00" + struct.pack("<IH", 8, 1) + struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0) \
        + struct.pack("<I", 0)


def png_with_exif(data, orientation):
    """The PNG with an eXIf chunk right after IHDR."""
    return data[:33] + chunk("eXIf", exif_tiff(orientation)) + data[33:]


def exif_segment(orientation):
    """An APP1 Exif segment holding only the Orientation tag."""
    body = b"Exif\x00\x00" + exif_tiff(orientation)
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body


def jpeg_with_exif(data, orientation):
    """The JPEG with an Exif orientation segment right after SOI (any earlier APP1 Exif removed)."""
    out = bytearray(data[:2]) + exif_segment(orientation)
    for start, marker, length in jpeg_segments(data):
        if marker == 0xDA:
            return bytes(out + data[start:])
        if not (marker == 0xE1 and data[start + 4:start + 8] == b"Exif"):
            out += data[start:start + 2 + length]
    raise ValueError("no SOS marker")


def pillow_jpeg(width, height, mode="RGB", **save_options):
    """A JPEG of the gradient pattern encoded by Pillow (mode RGB, L or CMYK), or None without Pillow."""
    try:
        from PIL import Image
    except ImportError:
        return None
    rows = pattern(width, height, RGB, 8)
    image = Image.frombytes("RGB", (width, height), bytes(v for row in rows for p in row for v in p))
    if mode != "RGB":
        image = image.convert(mode)
    out = io.BytesIO()
    image.save(out, "JPEG", **save_options)
    return out.getvalue()
