"""Compiled kernels of the matching engine (numba).

Cell c is on at t when its raw state is >= its raw threshold `thr[c]` (the engine turns ℓ into
one float32 per cell). The column index stores each cell's history as uint8 codes: code = number of
the cell's edges <= raw, so `code > k[c]` means on for sure, and `code == k[c]` (only when `thr[c]`
is not itself an edge) needs the exact raw value.

Matching works on `bits[:, t]`: the set of S1 cells on at t, as W 64-bit words. count[t] is its
popcount; the candidates (maximal runs of count >= k for every k, split at documents) form a tree
that one left-to-right scan with a stack walks, ANDing the bitsets of the positions inside each
node, so every candidate's on-throughout set is known when it closes, in O(T·W + candidates).

Each kernel is single-threaded and releases the GIL; the Python function beside it cuts the work
into parts that run at once on the engine's thread pool (pool.py).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

from .pool import empty, run_parts, spans, threads

def as_kernel_rows(rows: np.ndarray) -> np.ndarray:
    """numba has no float16: float16 rows go in as their uint16 bit patterns."""
    return rows.view(np.uint16) if rows.dtype == np.float16 else rows


@intrinsic
def _f32_from_bits(typingctx, bits):
    """The float32 whose IEEE bits are the uint32 `bits`."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())
    return types.float32(types.uint32), codegen


@njit(cache=True, inline="always")
def _half_to_float(u):
    """The exact float32 value of IEEE half-precision bits u, without branches on the data: the half's
    exponent and mantissa placed in a float32 and scaled by 2**112 (exact for normals and subnormals
    alike); only infinities and NaNs (exponent 31) are set apart."""
    u = np.uint32(u)
    if (u & 0x7C00) == 0x7C00:
        return _f32_from_bits(((u & 0x8000) << 16) | 0x7F800000 | ((u & 0x3FF) << 13))
    return _f32_from_bits(((u & 0x8000) << 16) | ((u & 0x7FFF) << 13)) * np.float32(2.0 ** 112)


def _value(x):
    """A raw state as float32 (compile-time dispatch on the row type)."""


@overload(_value)
def _value_impl(x):
    if isinstance(x, types.Float):
        return lambda x: x
    if isinstance(x, types.Integer):
        return lambda x: _half_to_float(x)


@njit(cache=True, nogil=True)
def _quantise_part(rows, edges, out, t0, t1):
    D = rows.shape[1]
    for blk in range(t0, t1, 64):
        for c in range(D):              # one cell's edges stay in L1 over the block's 64 rows
            for t in range(blk, min(t1, blk + 64)):
                x = _value(rows[t, c])
                pos = 0
                for step in (128, 64, 32, 16, 8, 4, 2, 1):
                    pos += step * (edges[c, pos + step - 1] <= x)
                out[c, t] = 0 if x != x else pos


def quantise_rows(rows, edges, out):
    """out[c, t] = number of edges[c] <= rows[t, c] (NaN: 0): the uint8 codes, transposed.

    edges (D, 255): each cell's increasing edges, padded with NaN (NaN <= x is false). A branch-free
    binary search, since the branches of the usual one are unpredictable here and cost more than
    the comparisons.
    """
    run_parts(_quantise_part, [(rows, edges, out, s, e) for s, e in spans(len(rows), 4 * threads(), 64)])


@njit(cache=True, nogil=True)
def _fill_bits(codes, cells, kk, ambiguous, rows, thr, planes, out, out0, t0, t1):
    """The bitsets of positions t0:t1 into out[:, t0 - out0:t1 - out0], as many positions at a time
    as `planes` holds (8 W byte planes, zero past the last cell): first one byte plane per 8 cells
    (byte j // 8, bit j % 8; in uint8 lanes, which the compiler vectorises 32 positions at a time),
    then the 8 planes of each word interleaved into it. A full plane is made in one pass over its 8
    cells' codes at once: one store per position instead of eight read-modify-writes, and eight
    streams in flight, which brought the kernel to the speed of reading the codes."""
    n = len(cells)
    W = out.shape[0]
    block = planes.shape[1]
    full = n // 8
    for s in range(t0, t1, block):
        e = min(t1, s + block)
        m = e - s
        for p in range(full):
            plane = planes[p]
            j = 8 * p
            q0, q1, q2, q3 = codes[cells[j], s:e], codes[cells[j + 1], s:e], codes[cells[j + 2], s:e], codes[cells[j + 3], s:e]
            q4, q5, q6, q7 = codes[cells[j + 4], s:e], codes[cells[j + 5], s:e], codes[cells[j + 6], s:e], codes[cells[j + 7], s:e]
            k0, k1, k2, k3, k4, k5, k6, k7 = kk[j], kk[j + 1], kk[j + 2], kk[j + 3], kk[j + 4], kk[j + 5], kk[j + 6], kk[j + 7]
            for i in range(m):
                plane[i] = ((q0[i] > k0) * np.uint8(1) | (q1[i] > k1) * np.uint8(2) | (q2[i] > k2) * np.uint8(4)
                            | (q3[i] > k3) * np.uint8(8) | (q4[i] > k4) * np.uint8(16) | (q5[i] > k5) * np.uint8(32)
                            | (q6[i] > k6) * np.uint8(64) | (q7[i] > k7) * np.uint8(128))
        if n > 8 * full:   # the last, partial plane, a cell at a time
            plane = planes[full]
            plane[:m] = 0
            for j in range(8 * full, n):
                q = codes[cells[j], s:e]
                kj = kk[j]
                bit = np.uint8(1 << (j - 8 * full))   # (not j & 7: with it the loop runs 2.4x slower)
                for i in range(m):
                    plane[i] |= (q[i] > kj) * bit
        for j in range(n):
            if ambiguous[j]:
                c = cells[j]
                q = codes[c, s:e]
                plane = planes[j >> 3]
                bit = np.uint8(1 << (j & 7))
                kj = kk[j]
                tj = thr[j]
                for i in range(m):
                    if q[i] == kj and _value(rows[s + i, c]) >= tj:
                        plane[i] |= bit
        for w in range(W):
            word = out[w, s - out0:e - out0]
            p0, p1, p2, p3 = planes[8 * w], planes[8 * w + 1], planes[8 * w + 2], planes[8 * w + 3]
            p4, p5, p6, p7 = planes[8 * w + 4], planes[8 * w + 5], planes[8 * w + 6], planes[8 * w + 7]
            for i in range(m):
                word[i] = (np.uint64(p0[i]) | (np.uint64(p1[i]) << np.uint64(8))
                          | (np.uint64(p2[i]) << np.uint64(16)) | (np.uint64(p3[i]) << np.uint64(24))
                          | (np.uint64(p4[i]) << np.uint64(32)) | (np.uint64(p5[i]) << np.uint64(40))
                          | (np.uint64(p6[i]) << np.uint64(48)) | (np.uint64(p7[i]) << np.uint64(56)))


@njit(cache=True, nogil=True)
def _on_bits_part(codes, cells, kk, ambiguous, rows, thr, bits, t0, t1, block):
    planes = np.zeros((8 * bits.shape[0], block), np.uint8)
    _fill_bits(codes, cells, kk, ambiguous, rows, thr, planes, bits, 0, t0, t1)


class BitsSource(NamedTuple):
    """What the bitsets of S1 are made from (a dense layer's index): per S1 cell j, on <=> code >
    k[j], or (ambiguous[j] and code == k[j] and raw >= thr[j])."""
    codes: np.ndarray      # (D, T) uint8
    cells: np.ndarray      # (n,) int64
    k: np.ndarray          # (n,) uint8
    ambiguous: np.ndarray  # (n,) bool
    rows: np.ndarray       # (T, D) float32, or float16 as uint16 (as_kernel_rows)
    thr: np.ndarray        # (n,) float32


def bits_source(codes, cells, k, ambiguous, rows, thr) -> BitsSource:
    return BitsSource(codes, np.asarray(cells, np.int64), np.minimum(np.asarray(k), 255).astype(np.uint8),
                      np.asarray(ambiguous, np.bool_), as_kernel_rows(rows), np.asarray(thr, np.float32))


def empty_bits(n_cells: int, T: int) -> np.ndarray:
    """Room for the bitsets of n_cells cells at T positions (W = ceil(n / 64) words each)."""
    return empty(((n_cells + 63) // 64, T), np.uint64)


def on_bits(source: BitsSource, T) -> np.ndarray:
    """bits[j // 64, t] has bit j % 64 set when cell cells[j] is on at t."""
    bits = empty_bits(len(source.cells), T)
    block = _bits_block(bits.shape[0])
    run_parts(_on_bits_part, [(*source, bits, s, e, block) for s, e in spans(T, 4 * threads(), block)])
    return bits


def _bits_block(W: int) -> int:
    """Positions per block: the block's planes (8 W bytes per position) fit in a core's L2 (256 kB
    of it); 16384 for up to 128 cells, fewer for wider sets (measured best at 16-32k for two words)."""
    return max(1024, min(16384, (1 << 18) // (8 * max(1, W))) // 64 * 64)


@njit(cache=True, inline="always")
def _popcount(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@njit(cache=True)
def _overlap(acc, bits, a, b, doc_lo, doc_hi, pad_left, pad_right):
    """|cells of the bitset acc (W words) also off in the pads before a and after b (inside the document)|."""
    W = bits.shape[0]
    total = 0
    lo = max(a - pad_left, doc_lo) if pad_left > 0 else a
    hi = min(b + pad_right, doc_hi) if pad_right > 0 else b
    for w in range(W):
        m = acc[w]
        for t in range(lo, a):
            m &= ~bits[w, t]
        for t in range(b, hi):
            m &= ~bits[w, t]
        total += _popcount(m)
    return total


@njit(cache=True, inline="always")
def _lower_bound(keys, lo, hi, x):
    """The first index in lo:hi of the sorted keys with keys[i] >= x (np.searchsorted's left side,
    written out because numba's own takes about a second to compile, in every kernel using it)."""
    while lo < hi:
        h = (lo + hi) >> 1
        if keys[h] < x:
            lo = h + 1
        else:
            hi = h
    return lo


@njit(cache=True, inline="always")
def _count(bits, t):
    c = 0
    for w in range(bits.shape[0]):
        c += _popcount(bits[w, t])
    return c


@njit(cache=True)
def chunk_cuts(bits, doc_starts, T, n_chunks):
    """Where to cut 0:T into about n_chunks chunks for a parallel scan: near each equal share, a
    document start if one is close (nothing crosses it), else the position of the lowest count
    (only runs of levels <= that count cross it, and the merge joins just those)."""
    cuts = np.empty(n_chunks + 1, np.int64)
    cuts[0] = 0
    n = 1
    window = max(1, min(1024, T // (4 * max(1, n_chunks))))
    for g in range(1, n_chunks):
        x = T * g // n_chunks
        lo = max(cuts[n - 1] + 1, x - window)
        hi = min(T - 1, x + window)
        if lo > hi:
            continue
        k = _lower_bound(doc_starts, 0, len(doc_starts), lo)
        if k < len(doc_starts) and doc_starts[k] <= hi:
            best = doc_starts[k]
        else:
            best = lo
            low = _count(bits, lo)
            for t in range(lo + 1, hi + 1):
                if low == 0:
                    break
                c = _count(bits, t)
                if c < low:
                    best, low = t, c
        cuts[n] = best
        n += 1
    cuts[n] = T
    return cuts[:n + 1]


_DENSE_LENGTHS = 512  # lengths counted in dense arrays; the few longer ones are sorted instead


def _scan_chunk_kernel(wide: bool):
    """The scan of one chunk, compiled for up to two bitset words (wide=False) or any number."""
    @njit(cache=True, nogil=True)
    def scan_chunk(bits, doc_starts, s, e, T, pad_left, pad_right, out_a, out_b, out_o, base,
                    pre_b, pre_lo, pre_hi, pre_acc, op_a, op_lo, op_hi, op_acc,
                    size, min_length, max_length, fuzzy, strict, level,
                    fill, codes, cells, kk, ambiguous, rows, thr, block):
        """Scan the positions s:e, writing from out[base] every candidate that lies inside s:e and
        counting it as summarise needs (see `_count_part`: done here, the count costs a fraction of
        a second pass over the candidates), and returning (how many, n_pre, n_open, how many longer
        than the dense counts) for the merge: where s is inside a document, the runs that
        start at s (their end b, levels lo < k <= hi and bitset AND, `pre_*`), which may begin further
        left; where e is inside a document, the stack of runs still open at e (start, levels, AND
        over a:e, `op_*`), which may end further right. Runs of a level above count[e] end at e.

        The AND of the top node's positions so far lives in local variables (the first two words, which
        hold up to 128 S1 cells) and in acc[top] (any further words); a node below the top keeps in acc
        the AND of its positions before its child opened, and takes the child's AND when it closes.
        Kept out of memory, the first two words make the scan twice as fast; so does leaving the
        loops over further words out of the compiled code when there are none (`wide`).

        With `fill`, bits[:, s:e] is made here from the BitsSource `codes...thr`, `block`
        positions ahead of the scan: the scan reads them from cache, and its compute overlaps the
        other threads' reading of the codes (reading alone does not keep two cores busy).
        """
        W = bits.shape[0]
        depth = W * 64 + 2
        st_a = np.empty(depth, np.int64)       # open nodes: start,
        st_lo = np.empty(depth, np.int64)      # levels lo < k <= hi,
        st_hi = np.empty(depth, np.int64)
        acc = np.empty((depth, W), np.uint64)  # and AND of the bitsets inside (see above)
        node = np.empty(W, np.uint64)          # one node's whole AND, when it is needed as an array
        full = ~np.uint64(0)
        b0 = bits[0]
        b1 = bits[min(1, W - 1)]
        n = base
        n_pre = 0
        n_open = 0
        n_long = 0
        cap = fuzzy.shape[0] - 1
        planes = np.zeros((8 * W, block if fill else 1), np.uint8)
        edge = np.empty((W, 1), np.uint64)     # the bitset at e, which the next chunk writes
        n_docs = len(doc_starts)
        d = _lower_bound(doc_starts, 0, len(doc_starts), s + 1) - 1
        while d < n_docs and doc_starts[d] < e:
            doc_lo = doc_starts[d]
            doc_hi = doc_starts[d + 1] if d + 1 < n_docs else T
            lo = max(doc_lo, s)
            hi = min(doc_hi, e)
            prefix = lo > doc_lo
            open_end = hi < doc_hi
            end_c = 0
            if open_end:
                if fill:
                    _fill_bits(codes, cells, kk, ambiguous, rows, thr, planes, edge, hi, hi, hi + 1)
                    end_c = _count(edge, 0)
                else:
                    end_c = _count(bits, hi)
            filled = lo
            sp = 0
            cur0 = full
            cur1 = full
            x0 = full
            x1 = full
            for t in range(lo, hi + 1):
                if t < hi:
                    if fill and t == filled:
                        filled = min(hi, t + block)
                        _fill_bits(codes, cells, kk, ambiguous, rows, thr, planes, bits, 0, t, filled)
                    x0 = b0[t]
                    x1 = b1[t] if W > 1 else np.uint64(0)
                    c = _popcount(x0) + _popcount(x1)
                    if wide:
                        for w in range(2, W):
                            c += _popcount(bits[w, t])
                else:
                    c = end_c
                # close the nodes above c (a node straddling c is split: its upper levels close)
                while sp > 0 and st_hi[sp - 1] > c:
                    i = sp - 1
                    if prefix and st_a[i] == lo:
                        pre_b[n_pre] = t
                        pre_lo[n_pre] = max(c, st_lo[i])
                        pre_hi[n_pre] = st_hi[i]
                        pre_acc[n_pre, 0] = cur0
                        if W > 1:
                            pre_acc[n_pre, 1] = cur1
                        if wide:
                            for w in range(2, W):
                                pre_acc[n_pre, w] = acc[i, w]
                        n_pre += 1
                    else:
                        a = st_a[i]
                        out_a[n] = a
                        out_b[n] = t
                        if pad_left == 0 and pad_right == 0:  # the common case, a third of the scan's time
                            o = _popcount(cur0) + (_popcount(cur1) if W > 1 else 0)
                            if wide:
                                for w in range(2, W):
                                    o += _popcount(acc[i, w])
                        else:
                            node[0] = cur0
                            if W > 1:
                                node[1] = cur1
                            if wide:
                                for w in range(2, W):
                                    node[w] = acc[i, w]
                            o = _overlap(node, bits, a, t, doc_lo, doc_hi, pad_left, pad_right)
                        out_o[n] = o
                        n += 1
                        if o >= 1:   # _count_part's count, written out: a call here, even one numba
                            length = t - a   # inlines, made a 1M query ~5 ms slower (measured A/B)
                            if length <= cap:
                                fuzzy[length] += 1
                                strict[length] += o == size
                            else:
                                n_long += 1
                            level[o] += (min_length <= length) & (length <= max_length)
                    if st_lo[i] >= c:
                        if i > 0:
                            cur0 &= acc[i - 1, 0]
                            if W > 1:
                                cur1 &= acc[i - 1, 1]
                            if wide:
                                for w in range(2, W):
                                    acc[i - 1, w] &= acc[i, w]
                        sp -= 1
                    else:
                        st_hi[i] = c
                        break
                if t == hi:
                    break
                top = st_hi[sp - 1] if sp > 0 else 0
                if c > top:
                    if sp > 0:
                        acc[sp - 1, 0] = cur0
                        if W > 1:
                            acc[sp - 1, 1] = cur1
                    st_a[sp] = t
                    st_lo[sp] = top
                    st_hi[sp] = c
                    cur0 = full
                    cur1 = full
                    if wide:
                        for w in range(2, W):
                            acc[sp, w] = full
                    sp += 1
                if sp > 0:
                    cur0 &= x0
                    cur1 &= x1
                    if wide:
                        for w in range(2, W):
                            acc[sp - 1, w] &= bits[w, t]
            if open_end:  # each open node's AND over a:e is its own and those of the nodes above it
                if sp > 0:
                    acc[sp - 1, 0] = cur0
                    if W > 1:
                        acc[sp - 1, 1] = cur1
                for w in range(W):
                    node[w] = full
                for i in range(sp - 1, -1, -1):
                    for w in range(W):
                        node[w] &= acc[i, w]
                        op_acc[i, w] = node[w]
                    op_a[i] = st_a[i]
                    op_lo[i] = st_lo[i]
                    op_hi[i] = st_hi[i]
                n_open = sp
            d += 1
        return n - base, n_pre, n_open, n_long

    return scan_chunk


_scan_chunk_narrow = _scan_chunk_kernel(False)
_scan_chunk_wide = _scan_chunk_kernel(True)


@njit(cache=True)
def _merge_chunks(bits, doc_starts, T, cuts, pad_left, pad_right, n_pre, pre_b, pre_lo, pre_hi, pre_acc,
                  n_open, op_a, op_lo, op_hi, op_acc, out_a, out_b, out_o):
    """The candidates that cross chunk edges, left to right: the runs open at each cut (the carry,
    each with its start and AND since then) joined level by level with the next chunk's runs from
    the cut; a run that crosses a whole chunk stays in the carry. Returns how many were written."""
    G = len(cuts) - 1
    W = bits.shape[0]
    depth = W * 64 + 2
    c_a = np.empty(depth, np.int64)   # the carry: start, levels lo < k <= hi, AND over a:cut
    c_lo = np.empty(depth, np.int64)
    c_hi = np.empty(depth, np.int64)
    c_acc = np.empty((depth, W), np.uint64)
    n_a = np.empty(depth, np.int64)   # the next carry
    n_lo = np.empty(depth, np.int64)
    n_hi = np.empty(depth, np.int64)
    n_acc = np.empty((depth, W), np.uint64)
    m = np.empty(W, np.uint64)
    nc = 0
    n = 0
    n_docs = len(doc_starts)
    for g in range(G):
        s = cuts[g]
        d = _lower_bound(doc_starts, 0, len(doc_starts), s + 1) - 1
        if doc_starts[d] == s:
            nc = 0
        doc_lo = doc_starts[d]
        doc_hi = doc_starts[d + 1] if d + 1 < n_docs else T
        top = c_hi[nc - 1] if nc > 0 else 0
        for p in range(n_pre[g]):
            lo, hi, b = pre_lo[g, p], pre_hi[g, p], pre_b[g, p]
            for j in range(nc):
                if c_hi[j] > lo and c_lo[j] < hi:
                    for w in range(W):
                        m[w] = c_acc[j, w] & pre_acc[g, p, w]
                    out_a[n] = c_a[j]
                    out_b[n] = b
                    out_o[n] = _overlap(m, bits, c_a[j], b, doc_lo, doc_hi, pad_left, pad_right)
                    n += 1
            if hi > top:  # levels above the carry's: count[s - 1] < k, the run starts at s
                out_a[n] = s
                out_b[n] = b
                out_o[n] = _overlap(pre_acc[g, p], bits, s, b, doc_lo, doc_hi, pad_left, pad_right)
                n += 1
        k = 0
        for i in range(n_open[g]):
            lo, hi = op_lo[g, i], op_hi[g, i]
            if op_a[g, i] == s and nc > 0:  # the chunk's bottom node: it continues the carry
                for j in range(nc):
                    if c_hi[j] > lo and c_lo[j] < hi:
                        n_a[k] = c_a[j]
                        n_lo[k] = max(lo, c_lo[j])
                        n_hi[k] = min(hi, c_hi[j])
                        for w in range(W):
                            n_acc[k, w] = c_acc[j, w] & op_acc[g, i, w]
                        k += 1
                if hi <= top:
                    continue
                lo = max(lo, top)
            n_a[k] = op_a[g, i]
            n_lo[k] = lo
            n_hi[k] = hi
            for w in range(W):
                n_acc[k, w] = op_acc[g, i, w]
            k += 1
        c_a, n_a = n_a, c_a
        c_lo, n_lo = n_lo, c_lo
        c_hi, n_hi = n_hi, c_hi
        c_acc, n_acc = n_acc, c_acc
        nc = k
    return n


def _read_only(x: np.ndarray) -> np.ndarray:
    x.setflags(write=False)
    return x


# what the scan is given when the bitsets are made already, and its rows always: of the types of a
# float32 layer's BitsSource (read-only, as the index and the rows are mapped), so that it compiles
# no more variants
_NO_SOURCE = BitsSource(_read_only(np.zeros((1, 1), np.uint8)), np.zeros(0, np.int64), np.zeros(0, np.uint8),
                        np.zeros(0, np.bool_), _read_only(np.zeros((1, 1), np.float32)), np.zeros(0, np.float32))


def even_cuts(doc_starts, T: int, n_chunks: int) -> np.ndarray:
    """Where to cut 0:T into about n_chunks chunks before the bitsets exist (see chunk_cuts): near
    each equal share, a document start if one is close (nothing crosses it), else the share itself."""
    doc_starts = np.asarray(doc_starts, np.int64)
    n_chunks = max(1, min(n_chunks, T))
    window = max(1, min(1024, T // (4 * n_chunks)))
    x = T * np.arange(1, n_chunks, dtype=np.int64) // n_chunks
    k = np.minimum(np.searchsorted(doc_starts, x - window, side="left"), len(doc_starts) - 1)
    near = np.abs(doc_starts[k] - x) <= window
    inner = np.where(near, doc_starts[k], x)
    return np.unique(np.concatenate([[0], inner[(inner > 0) & (inner < T)], [T]]))


class Tally(NamedTuple):
    """summarise's counts of the candidates of overlap >= 1: per length up to _DENSE_LENGTHS, all
    (fuzzy) and those of overlap |S1| (strict); per segment of the candidates, those of length in
    range per overlap level, and how many are longer than the dense counts."""
    fuzzy: np.ndarray    # (_DENSE_LENGTHS + 1,) int64
    strict: np.ndarray   # (_DENSE_LENGTHS + 1,) int64
    level: np.ndarray    # (segments, |S1| + 1) int64
    n_long: np.ndarray   # (segments,) int64


def scan_candidates(bits, doc_starts, T, pad_left, pad_right, cuts, size, min_length, max_length,
                    fill: BitsSource | None = None):
    """Every candidate a:b with its overlap |S1 ∩ S2| (SPEC.md 3.1-3.3): int32 arrays (a, b, overlap),
    the segments [start, stop) of them that hold candidates (each chunk's, then the merge's), and
    their Tally, for |S1| = size (the cells of bits) and lengths min_length..max_length.

    With `fill` (no pads: they look at bitsets outside the chunk; no ambiguous cells: the scan then
    needs no rows, so it is compiled for one row type, not two), bits is only room for the bitsets
    (`empty_bits`), which each chunk makes as it goes from that BitsSource.

    The chunks between `cuts` (any increasing positions from 0 to T, see `chunk_cuts`) are scanned
    at once, then the runs crossing the cuts are merged, exactly. A chunk of n tokens yields at
    most 2n + 1 candidates per document in it (a push and a split per position); the merge at most
    2 * depth per chunk. The candidates stay where the chunks wrote them (no copy into one array:
    at 10M tokens that is ~90 MB more to write). The buffers are allocated by numpy, which asks for
    huge pages: numba's own large allocations fault in 4 kB pages, which cost as much as a third of
    the scan.
    """
    cuts = np.asarray(cuts, np.int64)
    doc_starts = np.asarray(doc_starts, np.int64)
    G, W = len(cuts) - 1, bits.shape[0]
    depth = W * 64 + 2
    docs_in = (np.searchsorted(doc_starts, cuts[1:], side="left")
               - np.searchsorted(doc_starts, cuts[:-1], side="right") + 1)
    base = np.zeros(G + 1, np.int64)
    np.cumsum(2 * np.diff(cuts) + docs_in, out=base[1:])
    buf = empty((3, base[G] + 2 * G * depth), np.int32)
    pre = [np.empty((G, depth), np.int64) for _ in range(3)]
    pre_acc = np.empty((G, depth, W), np.uint64)
    op = [np.empty((G, depth), np.int64) for _ in range(3)]
    op_acc = np.empty((G, depth, W), np.uint64)
    fuzzy = np.zeros((G + 1, _DENSE_LENGTHS + 1), np.int64)
    strict = np.zeros((G + 1, _DENSE_LENGTHS + 1), np.int64)
    level = np.zeros((G + 1, size + 1), np.int64)
    if fill is not None and (pad_left or pad_right or fill.ambiguous.any()):
        raise ValueError("the scan makes the bitsets itself only without pads and ambiguous cells")
    source = _NO_SOURCE if fill is None else fill._replace(rows=_NO_SOURCE.rows)
    block = _bits_block(W)
    parts = run_parts(_scan_chunk_wide if W > 2 else _scan_chunk_narrow, [
        (bits, doc_starts, cuts[g], cuts[g + 1], T, pad_left, pad_right, buf[0], buf[1], buf[2], base[g],
         pre[0][g], pre[1][g], pre[2][g], pre_acc[g], op[0][g], op[1][g], op[2][g], op_acc[g],
         size, min_length, max_length, fuzzy[g], strict[g], level[g], fill is not None, *source, block)
        for g in range(G)])
    counts, n_pre, n_open, n_long = np.array(parts, np.int64).reshape(G, 4).T.copy()
    tail = buf[:, base[G]:]
    n_merged = _merge_chunks(bits, doc_starts, T, cuts, pad_left, pad_right, n_pre, *pre, pre_acc,
                             n_open, *op, op_acc, tail[0], tail[1], tail[2])
    merged_long = _count_part(*tail, 0, n_merged, size, min_length, max_length, fuzzy[G], strict[G], level[G])
    segments = np.stack([np.append(base[:G], base[G]), np.append(base[:G] + counts, base[G] + n_merged)], axis=1)
    tally = Tally(fuzzy.sum(axis=0), strict.sum(axis=0), level, np.append(n_long, merged_long))
    return buf[0], buf[1], buf[2], segments, tally


@njit(cache=True, nogil=True)
def _s2_part(rows, thr, a, b, lo, hi, out, i0, i1):
    D = rows.shape[1]
    alive = np.empty(D, np.bool_)
    for i in range(i0, i1):
        alive[:] = True
        for t in range(a[i], b[i]):
            x = rows[t]
            for c in range(D):
                alive[c] &= _value(x[c]) >= thr[c]
        for t in range(lo[i], a[i]):
            x = rows[t]
            for c in range(D):
                alive[c] &= not (_value(x[c]) >= thr[c])
        for t in range(b[i], hi[i]):
            x = rows[t]
            for c in range(D):
                alive[c] &= not (_value(x[c]) >= thr[c])
        n = 0
        for c in range(D):
            n += alive[c]
        out[i] = n


def s2_sizes(rows, thr, a, b, lo, hi):
    """|S2| for each candidate a[i]:b[i]: cells c with raw >= thr[c] throughout, and not in the pads
    lo[i]:a[i] and b[i]:hi[i] (the caller clips them to the document; empty when unconstrained)."""
    out = np.zeros(len(a), np.int64)
    run_parts(_s2_part, [(rows, thr, a, b, lo, hi, out, s, e) for s, e in spans(len(a), threads())])
    return out


@njit(cache=True, nogil=True)
def _count_part(a, b, overlap, lo, hi, size, min_length, max_length, fuzzy, strict, level):
    """The Tally's counts of the candidates lo:hi (what the scan counts of its own as it goes);
    returns how many are longer than the dense counts."""
    cap = fuzzy.shape[0] - 1
    n_long = 0
    for i in range(lo, hi):
        o = overlap[i]
        if o >= 1:
            length = b[i] - a[i]
            if length <= cap:
                fuzzy[length] += 1
                strict[length] += o == size
            else:
                n_long += 1
            level[o] += (min_length <= length) & (length <= max_length)
    return n_long


def count_candidates(a, b, overlap, segments, size, min_length, max_length) -> Tally:
    """The Tally of the candidates in segments, counted afresh."""
    segments = np.asarray(segments, np.int64).reshape(-1, 2)
    fuzzy = np.zeros(_DENSE_LENGTHS + 1, np.int64)
    strict = np.zeros(_DENSE_LENGTHS + 1, np.int64)
    level = np.zeros((len(segments), size + 1), np.int64)
    n_long = [_count_part(a, b, overlap, lo, hi, size, min_length, max_length, fuzzy, strict, level[g])
              for g, (lo, hi) in enumerate(segments.tolist())]
    return Tally(fuzzy, strict, level, np.array(n_long, np.int64))


@njit(cache=True, nogil=True)
def _select_part(a, b, overlap, lo, hi, size, min_length, max_length, cutoff, has_long, idx, k, long_keys, j):
    """summarise's pass over the candidates lo:hi: the indices at the top levels from idx[k], the
    long lengths from long_keys[j] (as 2 * length + strict)."""
    if not has_long:  # the usual case: only the few candidates at the top levels are looked at
        for i in range(lo, hi):
            if overlap[i] >= cutoff:
                length = b[i] - a[i]
                if min_length <= length <= max_length:
                    idx[k] = i
                    k += 1
        return
    for i in range(lo, hi):
        o = overlap[i]
        if o >= 1:
            length = b[i] - a[i]
            if o >= cutoff and min_length <= length <= max_length:
                idx[k] = i
                k += 1
            if length > _DENSE_LENGTHS:
                long_keys[j] = 2 * length + (o == size)
                j += 1


def summarise(a, b, overlap, segments, tally: Tally, size, min_length, max_length, top):
    """The length histogram (lengths, strict, fuzzy: only lengths with a candidate of overlap >= 1),
    and the indices of the candidates that can reach the ranking's top (overlap >= 1, length in
    range, and overlap at or above the level where the top is full; top <= 0 keeps every one).

    From the candidates' Tally, one pass over the segments at once, which looks at the candidates'
    lengths only where some are longer than the dense counts (rare); those are collected and sorted.
    Its cost does not depend on the longest candidate.
    """
    segments = np.asarray(segments, np.int64).reshape(-1, 2)
    cutoff = 1
    if top > 0:
        reached = np.flatnonzero(np.cumsum(tally.level.sum(axis=0)[::-1][:-1]) >= top)
        if len(reached):
            cutoff = size - int(reached[0])
    idx_at = np.zeros(len(segments) + 1, np.int64)   # where each segment's indices and long keys go
    np.cumsum(tally.level[:, cutoff:].sum(axis=1), out=idx_at[1:])
    long_at = np.zeros(len(segments) + 1, np.int64)
    np.cumsum(tally.n_long, out=long_at[1:])
    idx = np.empty(idx_at[-1], np.int64)
    long_keys = np.empty(long_at[-1], np.int64)  # 2 * length + strict
    run_parts(_select_part, [
        (a, b, overlap, lo, hi, size, min_length, max_length, cutoff, tally.n_long[g] > 0, idx, idx_at[g],
         long_keys, long_at[g]) for g, (lo, hi) in enumerate(segments.tolist())])
    dense = np.flatnonzero(tally.fuzzy[1:]) + 1
    long_keys.sort()
    long_lengths, first, long_fuzzy = np.unique(long_keys // 2, return_index=True, return_counts=True)
    long_strict = np.add.reduceat(long_keys & 1, first) if len(first) else np.zeros(0, np.int64)
    return (np.concatenate([dense, long_lengths]).astype(np.int64),
            np.concatenate([tally.strict[dense], long_strict]).astype(np.int64),
            np.concatenate([tally.fuzzy[dense], long_fuzzy]).astype(np.int64), idx)
