"""Many QR symbols at once, module for module the ones the qrcode package makes.

qrcode spends ~6 ms on a stamp URL, most of it trying the eight mask patterns one by
one in Python; a run of a million stamps would take hours. This module keeps
qrcode's own pieces (segmentation into modes, version choice, block structure,
generator polynomials, mask functions, function patterns, format and version bits)
and does the per-symbol arithmetic for a whole batch with numpy: Reed–Solomon
remainders, placement, the eight masks and qrcode's penalty score (same rules, same
tie-break), so the chosen mask and every module are the same. The tests compare
against qrcode directly.
"""
from __future__ import annotations

from bisect import bisect_left
from functools import cache
from typing import Sequence

import numpy as np
import qrcode
from qrcode import LUT, base, util
from qrcode.constants import ERROR_CORRECT_M
from qrcode.exceptions import DataOverflowError

# Symbols whose side fits one 64-bit word per row/column get the packed penalty;
# stamp URLs need version 3 to 7.
MAX_FAST_VERSION = 11
BATCH = 256

_ALNUM = {byte: index for index, byte in enumerate(util.ALPHA_NUM)}
_FINDER_LIKE = ((1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0), (0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1))
_EXP = np.array(base.EXP_TABLE[:255] * 3, dtype=np.int64)  # α^k for k < 765
_LOG = np.array([0] + [base.LOG_TABLE[i] for i in range(1, 256)], dtype=np.int64)


def _chunks(text: str) -> list[util.QRData]:
    # The segmentation qrcode's add_data(text) uses by default (optimize=20).
    return list(util.optimal_data_chunks(text, minimum=20))


def _data_bits(chunk: util.QRData) -> int:
    length = len(chunk.data)
    if chunk.mode == util.MODE_NUMBER:
        return 10 * (length // 3) + (util.NUMBER_LENGTH[length % 3] if length % 3 else 0)
    if chunk.mode == util.MODE_ALPHA_NUM:
        return 11 * (length // 2) + 6 * (length % 2)
    return 8 * length


def best_version(chunks: Sequence[util.QRData], ec: int = ERROR_CORRECT_M) -> int:
    """The smallest version that holds the chunks, found as QRCode.best_fit finds it."""
    start = 1
    while True:
        sizes = util.mode_sizes_for_version(start)
        needed = sum(4 + sizes[c.mode] + _data_bits(c) for c in chunks)
        version = bisect_left(util.BIT_LIMIT_TABLE[ec], needed, start)
        if version == 41:
            raise DataOverflowError()
        if sizes is util.mode_sizes_for_version(version):
            return version
        start = version


def data_codewords(chunks: Sequence[util.QRData], version: int,
                   ec: int = ERROR_CORRECT_M) -> bytes:
    """The data codewords (before error correction), padded as util.create_data pads."""
    acc = nbits = 0
    for chunk in chunks:
        width = util.length_in_bits(chunk.mode, version)
        acc = (((acc << 4) | chunk.mode) << width) | len(chunk.data)
        nbits += 4 + width
        data = chunk.data
        if chunk.mode == util.MODE_NUMBER:
            for i in range(0, len(data), 3):
                group = data[i:i + 3]
                bits = util.NUMBER_LENGTH[len(group)]
                acc = (acc << bits) | int(group)
                nbits += bits
        elif chunk.mode == util.MODE_ALPHA_NUM:
            for i in range(0, len(data) - 1, 2):
                acc = (acc << 11) | (_ALNUM[data[i]] * 45 + _ALNUM[data[i + 1]])
                nbits += 11
            if len(data) % 2:
                acc = (acc << 6) | _ALNUM[data[-1]]
                nbits += 6
        else:
            acc = (acc << (8 * len(data))) | int.from_bytes(data, "big")
            nbits += 8 * len(data)
    limit = util.BIT_LIMIT_TABLE[ec][version]
    if nbits > limit:
        raise DataOverflowError()
    tail = min(limit - nbits, 4)
    tail += -(nbits + tail) % 8
    acc <<= tail
    nbits += tail
    fill = (limit - nbits) // 8
    return acc.to_bytes(nbits // 8, "big") + (bytes((util.PAD0, util.PAD1)) * fill)[:fill]


def _generator(ec_count: int) -> list[int]:
    if ec_count in LUT.rsPoly_LUT:
        return list(LUT.rsPoly_LUT[ec_count])
    poly = base.Polynomial([1], 0)
    for i in range(ec_count):
        poly = poly * base.Polynomial([1, base.gexp(i)], 0)
    return list(poly)


class _Layout:
    """Everything about one version that does not depend on the data."""

    def __init__(self, version: int, ec: int):
        n = self.size = version * 4 + 17
        self.version = version
        q = qrcode.QRCode(version=version, error_correction=ec)
        q.modules_count = n
        q.modules = [[None] * n for _ in range(n)]
        q.setup_position_probe_pattern(0, 0)
        q.setup_position_probe_pattern(n - 7, 0)
        q.setup_position_probe_pattern(0, n - 7)
        q.setup_position_adjust_pattern()
        q.setup_timing_pattern()
        # As best_mask_pattern scores them: format and version bits all light.
        q.setup_type_info(True, 0)
        if version >= 7:
            q.setup_type_number(True)
        data = np.array([[m is None for m in row] for row in q.modules])
        self.function_scored = np.array([[bool(m) for m in row] for row in q.modules],
                                        dtype=np.uint8)
        self.function_final = []
        for mask in range(8):
            q.setup_type_info(False, mask)
            if version >= 7:
                q.setup_type_number(False)
            self.function_final.append(np.array(
                [[bool(m) for m in row] for row in q.modules], dtype=np.uint8))
        self.masks = np.zeros((8, n, n), dtype=np.uint8)
        for mask in range(8):
            test = util.mask_func(mask)
            for r in range(n):
                for c in range(n):
                    if data[r, c] and test(r, c):
                        self.masks[mask, r, c] = 1
        self.order = np.array(_placement_order(data), dtype=np.intp)
        self.blocks = [(b.data_count, b.total_count - b.data_count)
                       for b in base.rs_blocks(version, ec)]
        self.generators = {ec_count: _generator(ec_count) for _, ec_count in self.blocks}
        self.interleave = _interleave(self.blocks)


def _placement_order(data: np.ndarray) -> list[int]:
    """Flat indices of the data modules in the order QRCode.map_data fills them."""
    n = data.shape[0]
    order, inc, row = [], -1, n - 1
    for col in range(n - 1, 0, -2):
        if col <= 6:
            col -= 1
        while True:
            for c in (col, col - 1):
                if data[row, c]:
                    order.append(row * n + c)
            row += inc
            if row < 0 or row >= n:
                row -= inc
                inc = -inc
                break
    return order


def _interleave(blocks: list[tuple[int, int]]) -> np.ndarray:
    """Positions, in [all data codewords block by block, then all EC codewords], of the
    codewords in the interleaved order util.create_bytes writes."""
    data_at, ec_at, offset = [], [], 0
    for data_count, _ in blocks:
        data_at.append(list(range(offset, offset + data_count)))
        offset += data_count
    for _, ec_count in blocks:
        ec_at.append(list(range(offset, offset + ec_count)))
        offset += ec_count
    order = []
    for lists in (data_at, ec_at):
        for i in range(max(len(x) for x in lists)):
            order.extend(x[i] for x in lists if i < len(x))
    return np.array(order, dtype=np.intp)


@cache
def _layout(version: int, ec: int) -> _Layout:
    return _Layout(version, ec)


def _remainders(data: np.ndarray, generator: list[int]) -> np.ndarray:
    """Reed–Solomon EC codewords of each row of `data` (uint8, one message per row)."""
    ec_count = len(generator) - 1
    log_gen = _LOG[np.array(generator[1:])]
    rem = np.zeros((data.shape[0], ec_count), dtype=np.int64)
    for i in range(data.shape[1]):
        factor = data[:, i].astype(np.int64) ^ rem[:, 0]
        rem[:, :-1] = rem[:, 1:]
        rem[:, -1] = 0
        product = _EXP[_LOG[factor][:, None] + log_gen[None, :]]
        rem ^= np.where(factor[:, None] != 0, product, 0)
    return rem.astype(np.uint8)


def _codewords(layout: _Layout, messages: list[bytes]) -> np.ndarray:
    data = np.frombuffer(b"".join(messages), dtype=np.uint8).reshape(len(messages), -1)
    parts, ec_parts, offset = [], [], 0
    for data_count, ec_count in layout.blocks:
        block = data[:, offset:offset + data_count]
        offset += data_count
        parts.append(block)
        ec_parts.append(_remainders(block, layout.generators[ec_count]))
    return np.concatenate(parts + ec_parts, axis=1)[:, layout.interleave]


def _popcount(words: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(words).astype(np.int64)
    table = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)
    return table[words.view(np.uint8)].reshape(*words.shape, 8).sum(-1)


def _pack(lines: np.ndarray) -> np.ndarray:
    """Each line (last axis, ≤ 64 modules) as one uint64, module j at bit j."""
    packed = np.packbits(lines, axis=-1, bitorder="little")
    padded = np.zeros(packed.shape[:-1] + (8,), dtype=np.uint8)
    padded[..., :packed.shape[-1]] = packed
    return padded.view("<u8")[..., 0]


def _ones(count: int) -> np.uint64:
    return np.uint64((1 << count) - 1) if count > 0 else np.uint64(0)


def _line_penalties(lines: np.ndarray, n: int) -> np.ndarray:
    """Runs of 5+ (rule 1) and finder-like patterns (rule 3) along packed lines."""
    same = ~(lines ^ (lines >> np.uint64(1))) & _ones(n - 1)
    five = same & (same >> np.uint64(1)) & (same >> np.uint64(2)) & (same >> np.uint64(3)) \
        & _ones(n - 4)
    run_start = ~(same << np.uint64(1)) & _ones(n)
    total = _popcount(five).sum(-1) + 2 * _popcount(five & run_start).sum(-1)
    for pattern in _FINDER_LIKE:
        found = np.full(lines.shape, _ones(n - 10), dtype=np.uint64)
        for shift, dark in enumerate(pattern):
            shifted = lines >> np.uint64(shift)
            found &= shifted if dark else ~shifted
        total = total + 40 * _popcount(found).sum(-1)
    return total


def _penalties(candidates: np.ndarray) -> np.ndarray:
    """util.lost_point for every candidate (…, n, n), with its float rounding."""
    n = candidates.shape[-1]
    rows = _pack(candidates)
    cols = _pack(np.swapaxes(candidates, -1, -2))
    score = _line_penalties(rows, n) + _line_penalties(cols, n)
    upper, lower = rows[..., :-1], rows[..., 1:]
    blocks = ~(upper ^ lower) & ~(upper ^ (upper >> np.uint64(1))) \
        & ~(lower ^ (lower >> np.uint64(1))) & _ones(n - 1)
    score = score + 3 * _popcount(blocks).sum(-1)
    dark = _popcount(rows).sum(-1)
    percent = dark.astype(np.float64) / (n ** 2)
    return score + 10 * np.floor(np.abs(percent * 100 - 50) / 5).astype(np.int64)


def _encode_batch(layout: _Layout, messages: list[bytes]) -> np.ndarray:
    n = layout.size
    codewords = _codewords(layout, messages)
    bits = np.unpackbits(codewords, axis=1)
    placed = np.zeros((len(messages), n * n), dtype=np.uint8)
    placed[:, layout.order[:bits.shape[1]]] = bits
    placed = placed.reshape(-1, n, n)
    candidates = (placed[:, None] ^ layout.masks[None]) | layout.function_scored
    best = np.argmin(_penalties(candidates), axis=1)
    finals = np.stack(layout.function_final)
    return (placed ^ layout.masks[best]) | finals[best]


def matrices(texts: Sequence[str], ec: int = ERROR_CORRECT_M) -> list[np.ndarray]:
    """One (n, n) uint8 array per text, 1 = dark, no quiet zone; the same modules as
    qrcode.QRCode(error_correction=ec) gives for add_data(text) and make()."""
    out: list[np.ndarray | None] = [None] * len(texts)
    pending: dict[int, list[tuple[int, bytes]]] = {}
    for index, text in enumerate(texts):
        chunks = _chunks(text)
        version = best_version(chunks, ec)
        if version > MAX_FAST_VERSION:
            out[index] = _with_qrcode(text, ec)
            continue
        pending.setdefault(version, []).append((index, data_codewords(chunks, version, ec)))
    for version, items in pending.items():
        layout = _layout(version, ec)
        for start in range(0, len(items), BATCH):
            batch = items[start:start + BATCH]
            symbols = _encode_batch(layout, [message for _, message in batch])
            for (index, _), symbol in zip(batch, symbols):
                out[index] = symbol
    return out  # type: ignore[return-value]


def _with_qrcode(text: str, ec: int) -> np.ndarray:
    q = qrcode.QRCode(error_correction=ec, border=0)
    q.add_data(text)
    q.make(fit=True)
    return np.array(q.modules, dtype=np.uint8)


def rectangles(symbols: np.ndarray) -> tuple[np.ndarray, ...]:
    """The dark modules of a batch (B, n, n) as rectangles: runs along rows, stacked
    where consecutive rows repeat a run. Returns (counts per symbol, x, y, w, h), the
    rectangles grouped by symbol and ordered top to bottom, left to right."""
    count, n = symbols.shape[0], symbols.shape[-1]
    padded = np.zeros((count, n, n + 2), dtype=np.int8)
    padded[:, :, 1:-1] = symbols
    step = np.diff(padded, axis=2)
    b, r, x0 = np.nonzero(step == 1)
    x1 = np.nonzero(step == -1)[2]
    order = np.lexsort((r, x1, x0, b))
    b, r, x0, x1 = b[order], r[order], x0[order], x1[order]
    new = np.ones(len(b), dtype=bool)
    new[1:] = (b[1:] != b[:-1]) | (x0[1:] != x0[:-1]) | (x1[1:] != x1[:-1]) \
        | (r[1:] != r[:-1] + 1)
    chain = np.cumsum(new) - 1
    heights = np.bincount(chain)
    b, y, x0, x1 = b[new], r[new], x0[new], x1[new]
    order = np.lexsort((x0, y, b))
    b, y, x, w, h = b[order], y[order], x0[order], (x1 - x0)[order], heights[order]
    return np.bincount(b, minlength=count), x, y, w, h


def _two_digits(values: np.ndarray) -> np.ndarray:
    # Zero-padded: "07" is a valid number in both PDF and SVG path syntax, and a fixed
    # width lets a whole batch be written as one byte array.
    return np.stack([48 + values // 10, 48 + values % 10], axis=1).astype(np.uint8)


def _split(counts: np.ndarray, records: np.ndarray, width: int) -> list[str]:
    text = records.tobytes().decode("ascii")
    ends = np.cumsum(counts) * width
    starts = ends - counts * width
    return [text[s:e] for s, e in zip(starts.tolist(), ends.tolist())]


def pdf_paths(symbols: np.ndarray, quiet_zone: int) -> list[str]:
    """PDF path operators (`x y w h re`, module units, origin at the bottom left of the
    quiet zone, y up) of every symbol of a batch; every number below 100."""
    counts, x, y, w, h = rectangles(symbols)
    top = symbols.shape[-1] + quiet_zone
    fields = [x + quiet_zone, top - y - h, w, h]
    records = np.full((len(x), 15), ord(" "), dtype=np.uint8)
    for i, values in enumerate(fields):
        records[:, 3 * i:3 * i + 2] = _two_digits(values)
    records[:, 12:14] = np.frombuffer(b"re", dtype=np.uint8)
    records[:, 14] = ord("\n")
    return _split(counts, records, 15)


def svg_paths(symbols: np.ndarray, quiet_zone: int) -> list[str]:
    """SVG path data (`Mx yhwvhh-wz`, module units from the top left of the quiet
    zone) of every symbol of a batch."""
    counts, x, y, w, h = rectangles(symbols)
    records = np.zeros((len(x), 17), dtype=np.uint8)
    template = np.frombuffer(b"M00 00h00v00h-00z", dtype=np.uint8)
    records[:] = template
    for start, values in ((1, x + quiet_zone), (4, y + quiet_zone), (7, w), (10, h),
                          (14, w)):
        records[:, start:start + 2] = _two_digits(values)
    return _split(counts, records, 17)


def paths(texts: Sequence[str], kind: str, quiet_zone: int) -> list[tuple[np.ndarray, str | None]]:
    """(symbol, path data) for every text, `kind` "pdf" or "svg"; the data is None for
    symbols too wide for the two-digit formatter (version > 22), left to the caller."""
    symbols = matrices(texts)
    out: list[tuple[np.ndarray, str | None]] = [(symbol, None) for symbol in symbols]
    by_size: dict[int, list[int]] = {}
    for index, symbol in enumerate(symbols):
        by_size.setdefault(symbol.shape[0], []).append(index)
    formatter = pdf_paths if kind == "pdf" else svg_paths
    for size, indices in by_size.items():
        if size + 2 * quiet_zone >= 100:
            continue
        stacked = np.stack([symbols[i] for i in indices])
        for index, data in zip(indices, formatter(stacked, quiet_zone)):
            out[index] = (symbols[index], data)
    return out
